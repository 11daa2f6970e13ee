output "policy_arn" {
  description = "ARN of the boundary policy: pass it as permissions_boundary_arn to every role."
  value       = aws_iam_policy.this.arn
}

output "policy_iam_write_actions" {
  description = "The IAM write actions the boundary denies; roles repeat them in an explicit Deny the emulator enforces."
  value       = local.iam_write_actions
}
