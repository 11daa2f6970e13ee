variable "bucket_name" {
  description = "Globally unique name of the bucket."
  type        = string
  validation {
    # S3's rules: 3 to 63 lower case letters, digits, dots and dashes, a letter or digit at each end,
    # no two dots in a row, not shaped like an IP address.
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name)) && !strcontains(var.bucket_name, "..") && !can(regex("^\\d+\\.\\d+\\.\\d+\\.\\d+$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name: 3 to 63 lower case letters, digits, dots and dashes, starting and ending with a letter or digit, no \"..\", not an IP address."
  }
}

variable "tags" {
  description = "Tags merged onto every resource."
  type        = map(string)
  default     = {}
}
