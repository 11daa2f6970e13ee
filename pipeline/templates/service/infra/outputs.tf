output "api_endpoint" {
  description = "Base URL of the service's API."
  value       = module.service.api_endpoint
}

output "function_names" {
  description = "Deployed function names, by manifest function key."
  value       = module.service.function_names
}
