variable "role_name" {
  description = "Name of the execution role; by convention the function's name."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_+=,.@-]{1,64}$", var.role_name))
    error_message = "role_name must be 1 to 64 letters, digits or any of _+=,.@-."
  }
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
  validation {
    condition = alltrue(flatten([
      for arn, actions in var.table_actions : concat(
        [can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]+$", arn))],
        [for action in actions : can(regex("^dynamodb:[A-Za-z]+$", action))],
      )
    ]))
    error_message = "table_actions must map exact table ARNs to actions like dynamodb:GetItem (no wildcards)."
  }
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
