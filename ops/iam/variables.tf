variable "environment" {
  description = "Environment name from environments.toml; prefixes every role name."
  type        = string
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
}
