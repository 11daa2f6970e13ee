output "role_arn" {
  description = "ARN of the service's deployer role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the service's deployer role, <env>-deployer-<service>."
  value       = aws_iam_role.this.name
}
