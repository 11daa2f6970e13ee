output "policy_arn" {
  description = "ARN of the boundary policy: pass it as permissions_boundary_arn to every role."
  value       = aws_iam_policy.this.arn
}
