variable "policy_name" {
  description = "Name of the managed policy used as the permission boundary, e.g. local-boundary."
  type        = string
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
}

variable "tags" {
  description = "Tags merged onto the policy."
  type        = map(string)
  default     = {}
}
