variable "function_names" {
  description = "Lambda functions that get an Errors and a Throttles alarm each."
  type        = list(string)
  default     = []
}

variable "error_thresholds" {
  description = "Errors per period a function may have before its Errors alarm fires, by function name (others: 0)."
  type        = map(number)
  default     = {}
  validation {
    condition     = alltrue([for threshold in values(var.error_thresholds) : threshold >= 0])
    error_message = "error_thresholds must not be negative."
  }
}

variable "table_names" {
  description = "DynamoDB tables that get a ReadThrottleEvents alarm each."
  type        = list(string)
  default     = []
}

variable "period_s" {
  description = "Alarm period in seconds."
  type        = number
  default     = 60
  validation {
    condition     = contains([10, 30, 60, 300, 900, 3600], var.period_s)
    error_message = "period_s must be one of 10, 30, 60, 300, 900, 3600."
  }
}

variable "alarm_actions" {
  description = "ARNs notified when an alarm fires (e.g. an SNS topic owned by ops)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags merged onto every resource."
  type        = map(string)
  default     = {}
}
