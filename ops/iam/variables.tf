variable "environment" {
  description = "Environment name from environments.toml; prefixes every role name."
  type        = string
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
}

variable "artifact_bucket" {
  description = "The environment's artifact bucket; deployers write their service's prefix of it."
  type        = string
}

variable "state_bucket" {
  description = "The environment's Terraform state bucket; deployers own their service's state object."
  type        = string
}

variable "deployer_trusted_principals" {
  description = "Principal ARNs that may assume the deployer roles (environments.toml deployer_principals; the developer user locally)."
  type        = list(string)
}

# The pipeline passes every service.yaml exactly as it validated it (as JSON), so Terraform never
# reads the YAML itself with other rules.
variable "manifests" {
  description = "Every service's manifest (services/<name>/service.yaml) as the pipeline validated it, by service name."
  type        = any
}
