output "policy_arn" {
  description = "The module's policy_arn."
  value       = module.boundary.policy_arn
}
