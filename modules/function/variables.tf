variable "function_name" {
  description = "Name of the Lambda function."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1 to 64 letters, digits, dashes or underscores."
  }
}

variable "role_arn" {
  description = "Execution role ARN, created by ops (modules/iam/function-role). This module never creates IAM."
  type        = string
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.role_arn))
    error_message = "role_arn must be an IAM role ARN (arn:aws:iam::<account>:role/...)."
  }
}

variable "handler" {
  description = "Handler as module.function, e.g. location.get_location.handler."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$", var.handler))
    error_message = "handler must be a dotted Python path ending in the function, e.g. location.get_location.handler."
  }
}

variable "runtime" {
  description = "Lambda runtime identifier."
  type        = string
  default     = "python3.11"
  validation {
    condition     = contains(["python3.11", "python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be python3.11, python3.12 or python3.13."
  }
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
  validation {
    condition     = var.reserved_concurrency >= 0 && var.reserved_concurrency <= 1000 && floor(var.reserved_concurrency) == var.reserved_concurrency
    error_message = "reserved_concurrency must be a whole number from 0 to 1000."
  }
}

variable "environment_variables" {
  description = "Environment variables for the function. Never put secrets here."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "How long the function's CloudWatch logs are kept, in days."
  type        = number
  default     = 30
  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "tags" {
  description = "Tags merged onto every resource."
  type        = map(string)
  default     = {}
}
