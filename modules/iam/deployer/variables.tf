variable "environment" {
  description = "Environment name; prefixes the role and every resource the deployer may touch."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,15}$", var.environment))
    error_message = "environment must be lower case letters, digits and dashes, starting with a letter (at most 16)."
  }
}

variable "service" {
  description = "The service this deployer ships (a folder under services/)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.service))
    error_message = "service must be a service folder name like location."
  }
}

variable "artifact_bucket" {
  description = "The environment's artifact bucket (code artifacts and the deploy ledger)."
  type        = string
}

variable "state_bucket" {
  description = "The environment's Terraform state bucket."
  type        = string
}

variable "trusted_principals" {
  description = "ARNs allowed to assume the deployer: the local developer user, or a CI role in AWS."
  type        = list(string)
  validation {
    condition     = length(var.trusted_principals) > 0
    error_message = "trusted_principals must name at least one principal."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of the permission boundary policy (modules/iam/permission-boundary)."
  type        = string
}

variable "denied_iam_actions" {
  description = "IAM write actions to deny explicitly (the permission-boundary module's policy_iam_write_actions)."
  type        = list(string)
  validation {
    condition     = length(var.denied_iam_actions) > 0 && alltrue([for action in var.denied_iam_actions : startswith(action, "iam:")])
    error_message = "denied_iam_actions must list IAM actions, e.g. iam:Create*."
  }
}

variable "tags" {
  description = "Tags merged onto the role."
  type        = map(string)
  default     = {}
}
