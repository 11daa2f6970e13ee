output "api_endpoint" {
  description = "The module's api_endpoint."
  value       = module.service.api_endpoint
}

output "function_names" {
  description = "The module's function_names."
  value       = module.service.function_names
}
