variable "role_name" {
  description = "Name of the execution role; by convention the function's name."
  type        = string
}

variable "role_path" {
  description = "IAM path of the role, e.g. /services/location/, so deployers can pass only their service's roles."
  type        = string
  validation {
    condition     = can(regex("^/([A-Za-z0-9_+=,.@-]+/)+$", var.role_path))
    error_message = "role_path must start and end with / (e.g. /services/location/)."
  }
}

variable "function_name" {
  description = "Name of the function that assumes the role; scopes its log permissions."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "ARN of the permission boundary policy (modules/iam/permission-boundary) the role is capped by."
  type        = string
}

variable "table_actions" {
  description = "DynamoDB actions the function may call, by table ARN."
  type        = map(list(string))
  default     = {}
}

variable "invoke_function_arns" {
  description = "ARNs (alias-qualified) of other services' functions this function may invoke."
  type        = list(string)
  default     = []
}

variable "execute_api_arns" {
  description = "execute-api ARNs (api/stage/METHOD/path patterns) of IAM-authorised routes this function may call."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags merged onto every resource."
  type        = map(string)
  default     = {}
}
