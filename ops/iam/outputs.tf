output "function_role_arns" {
  description = "Execution role ARN of every function, by <service>-<function>."
  value       = { for key, role in module.function_role : key => role.role_arn }
}
