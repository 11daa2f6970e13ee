"""Ops' controls (owned by ops): the root guard, the plan policy, handler permissions, IAM summaries and the checkov scan."""
