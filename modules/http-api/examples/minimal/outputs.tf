output "api_endpoint" {
  description = "The module's api_endpoint."
  value       = module.api.api_endpoint
}

output "execution_arn" {
  description = "The module's execution_arn."
  value       = module.api.execution_arn
}
