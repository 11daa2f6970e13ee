variable "manifest" {
  description = "The service's decoded service.yaml (yamldecode(file(...)))."
  type        = any
}

variable "environment" {
  description = "Environment name from environments.toml; prefixes every resource name."
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
  description = "Base URL of the local gateway (make serve) standing in for other services' APIs; empty in AWS."
  type        = string
  default     = ""
}

variable "log_retention_days" {
  description = "How long the functions' CloudWatch logs are kept."
  type        = number
  default     = 30
}

variable "alarm_actions" {
  description = "ARNs notified when one of the service's alarms fires or recovers, besides the environment's alerts topic."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags merged onto every resource."
  type        = map(string)
  default     = {}
}
