output "function_name" {
  description = "The module's function_name."
  value       = module.function.function_name
}

output "alias_arn" {
  description = "The module's alias_arn."
  value       = module.function.alias_arn
}
