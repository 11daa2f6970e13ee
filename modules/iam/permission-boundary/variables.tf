variable "policy_name" {
  description = "Name of the managed policy used as the permission boundary, e.g. local-boundary."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_+=,.@-]{1,128}$", var.policy_name))
    error_message = "policy_name must be 1 to 128 letters, digits or any of _+=,.@-."
  }
}

variable "policy_path" {
  description = "IAM path of the policy."
  type        = string
  default     = "/boundaries/"
  validation {
    condition     = can(regex("^/([A-Za-z0-9_+=,.@-]+/)*$", var.policy_path))
    error_message = "policy_path must start and end with / (e.g. /boundaries/)."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name in the environment (the environment name); roles may act only on those."
  type        = string
  validation {
    # No wildcard characters: the prefix ends up in resource ARNs the boundary confines roles to.
    condition     = can(regex("^[a-z][a-z0-9-]{0,15}$", var.name_prefix))
    error_message = "name_prefix must be an environment name: lower case letters, digits and dashes, starting with a letter."
  }
}

variable "tags" {
  description = "Tags merged onto the policy."
  type        = map(string)
  default     = {}
}
