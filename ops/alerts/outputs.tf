output "topic_arn" {
  description = "ARN of the alerts topic every service's alarms notify (alarm_actions and ok_actions)."
  value       = aws_sns_topic.alerts.arn
}
