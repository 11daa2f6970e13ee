variable "api_name" {
  description = "Name of the HTTP API."
  type        = string
  validation {
    condition     = length(var.api_name) >= 1 && length(var.api_name) <= 128
    error_message = "api_name must be 1 to 128 characters."
  }
}

variable "routes" {
  description = "Routes by route key (\"GET /items/{id}\"), each with the function alias it invokes and, optionally, its own throttle (else the API's)."
  type = map(object({
    function_name        = string
    alias_name           = string
    alias_invoke_arn     = string
    throttle_rate_limit  = optional(number)
    throttle_burst_limit = optional(number)
  }))
  validation {
    condition     = alltrue([for route in keys(var.routes) : can(regex("^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) /[A-Za-z0-9_{}/+.-]*$", route))])
    error_message = "Each route key must be a method and a path, e.g. \"GET /items/{id}\"."
  }
}

variable "authorization" {
  description = "AWS_IAM for a private API (callers sign with SigV4), NONE for a public one."
  type        = string
  default     = "AWS_IAM"
  validation {
    condition     = contains(["AWS_IAM", "NONE"], var.authorization)
    error_message = "authorization must be AWS_IAM or NONE."
  }
}

variable "throttle_rate_limit" {
  description = "Steady-state requests per second allowed on each route that sets none of its own."
  type        = number
  default     = 50
  validation {
    condition     = var.throttle_rate_limit > 0
    error_message = "throttle_rate_limit must be above 0."
  }
}

variable "throttle_burst_limit" {
  description = "Burst of requests allowed on each route that sets none of its own."
  type        = number
  default     = 100
  validation {
    condition     = var.throttle_burst_limit >= 1 && floor(var.throttle_burst_limit) == var.throttle_burst_limit
    error_message = "throttle_burst_limit must be a whole number of at least 1."
  }
}

variable "tags" {
  description = "Tags merged onto every resource."
  type        = map(string)
  default     = {}
}
