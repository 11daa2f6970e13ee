variable "environment" {
  description = "Environment name from environments.toml; the topic is <environment>-alerts."
  type        = string
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
}

variable "subscriptions" {
  description = "Who is told when an alarm fires or recovers (environments.toml alert_subscriptions, \"protocol:endpoint\" split)."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default = []
  validation {
    condition     = alltrue([for s in var.subscriptions : contains(["email", "email-json", "https", "sms", "sqs", "lambda"], s.protocol)])
    error_message = "Each subscription's protocol must be one of email, email-json, https, sms, sqs, lambda."
  }
}
