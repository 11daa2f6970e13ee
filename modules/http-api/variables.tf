variable "api_name" {
  description = "Name of the HTTP API."
  type        = string
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
}

variable "throttle_burst_limit" {
  description = "Burst of requests allowed on each route that sets none of its own."
  type        = number
  default     = 100
}

variable "tags" {
  description = "Tags merged onto every resource."
  type        = map(string)
  default     = {}
}
