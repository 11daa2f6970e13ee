output "metric_alarm_arns" {
  description = "The module's metric_alarm_arns."
  value       = module.alarms.metric_alarm_arns
}
