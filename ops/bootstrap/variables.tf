variable "environment" {
  description = "Environment name from environments.toml."
  type        = string
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
}

variable "state_bucket" {
  description = "Bucket for every root's Terraform state (S3-native locking, versioned)."
  type        = string
}

variable "artifact_bucket" {
  description = "Bucket for code artifacts, keyed by content hash, and the deploy ledger."
  type        = string
}
