output "metric_alarm_arns" {
  description = "ARN of every alarm, by alarm name (<function>-errors, <function>-throttles, <table>-read-throttles)."
  value       = { for name, alarm in aws_cloudwatch_metric_alarm.this : name => alarm.arn }
}
