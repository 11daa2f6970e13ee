output "function_role_arns" {
  description = "Execution role ARN of every function, by <service>-<function>."
  value       = { for key, role in module.function_role : key => role.role_arn }
}

output "deployer_role_arns" {
  description = "Deployer role ARN of every service, by service name."
  value       = { for service, deployer in module.deployer : service => deployer.role_arn }
}

output "boundary_policy_arn" {
  description = "ARN of the permission boundary every role here carries."
  value       = module.boundary.policy_arn
}
