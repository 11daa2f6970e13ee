output "role_arn" {
  description = "The module's role_arn."
  value       = module.role.role_arn
}
