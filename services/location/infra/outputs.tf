output "api_endpoint" {
  description = "Base URL of the location API."
  value       = module.api.api_endpoint
}

output "function_names" {
  description = "Deployed function names, by manifest function key."
  value       = { for key, function in module.function : key => function.function_name }
}
