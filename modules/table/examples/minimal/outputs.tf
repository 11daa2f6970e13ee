output "table_name" {
  description = "The module's table_name."
  value       = module.table.table_name
}

output "table_arn" {
  description = "The module's table_arn."
  value       = module.table.table_arn
}
