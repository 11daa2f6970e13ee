output "api_endpoint" {
  description = "Base URL of the service's HTTP API, or null when it has none."
  value       = try(module.api[0].api_endpoint, null)
}

output "function_names" {
  description = "Deployed function names, by manifest function name."
  value       = { for name, function in module.function : name => function.function_name }
}

output "table_names" {
  description = "Table names, by manifest table name."
  value       = { for name, table in module.table : name => table.table_name }
}

output "metric_alarm_arns" {
  description = "The service's alarms, by alarm name."
  value       = module.alarms.metric_alarm_arns
}
