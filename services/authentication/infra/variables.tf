variable "environment" {
  description = "Environment name from environments.toml; prefixes every resource name."
  type        = string
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
}

variable "artifact_bucket" {
  description = "Bucket holding the code artifact (set by the pipeline)."
  type        = string
}

variable "artifact_key" {
  description = "Key of the code artifact functions are created from (set by the pipeline)."
  type        = string
}

variable "service_gateway_url" {
  description = "Base URL of the local gateway (make serve) for calls to other services' APIs; set by the pipeline locally, empty in AWS."
  type        = string
  default     = ""
}

# The pipeline passes service.yaml exactly as it validated it (as JSON), so Terraform never reads
# the YAML itself with other rules; modules/service gives it its type.
variable "manifest" {
  description = "The service's manifest (service.yaml) as the pipeline validated it; set by the pipeline."
  type        = any
}
