variable "function_name" {
  description = "Name of the Lambda function."
  type        = string
}

variable "role_arn" {
  description = "Execution role ARN, created by ops (modules/iam/function-role). This module never creates IAM."
  type        = string
}

variable "handler" {
  description = "Handler as module.function, e.g. location.get_location.handler."
  type        = string
}

variable "runtime" {
  description = "Lambda runtime identifier."
  type        = string
  default     = "python3.11"
}

variable "artifact_bucket" {
  description = "Bucket holding the code artifact used when the function is first created."
  type        = string
}

variable "artifact_key" {
  description = "Key of the code artifact used when the function is first created. Later code versions are shipped by the pipeline."
  type        = string
}

variable "memory_mb" {
  description = "Memory in MB."
  type        = number
  default     = 256
  validation {
    condition     = var.memory_mb >= 128 && var.memory_mb <= 10240
    error_message = "memory_mb must be between 128 and 10240."
  }
}

variable "timeout_s" {
  description = "Timeout in seconds."
  type        = number
  default     = 10
  validation {
    condition     = var.timeout_s >= 1 && var.timeout_s <= 900
    error_message = "timeout_s must be between 1 and 900."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions: caps the function and protects the account's pool."
  type        = number
  default     = 5
}

variable "environment_variables" {
  description = "Environment variables for the function. Never put secrets here."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "How long the function's CloudWatch logs are kept."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags merged onto every resource."
  type        = map(string)
  default     = {}
}
