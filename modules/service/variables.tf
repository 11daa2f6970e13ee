variable "manifest" {
  description = "The service's manifest as the pipeline validated it (pipeline/project/manifest.py; the root's `manifest` variable)."
  type = object({
    name        = string
    description = optional(string, "")
    runtime     = optional(string, "python3.11")
    libs        = optional(list(string), [])
    api = optional(object({
      authorization        = optional(string, "AWS_IAM")
      throttle_rate_limit  = optional(number, 50)
      throttle_burst_limit = optional(number, 100)
    }))
    tables = optional(map(object({
      hash_key  = string
      range_key = optional(string)
    })), {})
    functions = map(object({
      handler               = string
      route                 = optional(string)
      memory_mb             = optional(number, 256)
      timeout_s             = optional(number, 10)
      reserved_concurrency  = optional(number, 5)
      error_alarm_threshold = optional(number, 0)
      permissions           = optional(map(list(string)), {})
      invokes               = optional(list(string), [])
      calls_apis            = optional(list(string), [])
    }))
    # smoke and rollout are verify's, not Terraform's: the type leaves them out, so they are discarded here.
    # Per-environment overrides of function settings; unset ones keep the function's value.
    environments = optional(map(object({
      functions = optional(map(object({
        memory_mb             = optional(number)
        timeout_s             = optional(number)
        reserved_concurrency  = optional(number)
        error_alarm_threshold = optional(number)
      })), {})
    })), {})
  })

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.manifest.name))
    error_message = "manifest.name must be a service folder name: lower case letters, digits and dashes, starting with a letter (at most 31)."
  }
  validation {
    condition     = contains(["python3.11", "python3.12", "python3.13"], var.manifest.runtime)
    error_message = "manifest.runtime must be python3.11, python3.12 or python3.13."
  }
  validation {
    condition     = var.manifest.api == null || contains(["AWS_IAM", "NONE"], try(var.manifest.api.authorization, ""))
    error_message = "manifest.api.authorization must be AWS_IAM or NONE."
  }
  validation {
    condition     = length(var.manifest.functions) > 0 && alltrue([for name in concat(keys(var.manifest.functions), keys(var.manifest.tables)) : can(regex("^[a-z][a-z0-9_]{0,30}$", name))])
    error_message = "manifest.functions must declare at least one function, and function and table names must be lower_snake_case (at most 31)."
  }
  validation {
    condition     = alltrue([for function in values(var.manifest.functions) : function.route == null || can(regex("^(GET|POST|PUT|PATCH|DELETE|ANY) /", function.route))])
    error_message = "Each manifest route must be a method and a path, e.g. \"GET /locations/{user_id}\"."
  }
}

variable "environment" {
  description = "Environment name from environments.toml; prefixes every resource name."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,15}$", var.environment))
    error_message = "environment must be lower case letters, digits and dashes, starting with a letter (at most 16)."
  }
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
  description = "How long the functions' CloudWatch logs are kept, in days."
  type        = number
  default     = 30
  # modules/function checks it is a retention CloudWatch Logs offers.
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
