variable "bucket_name" {
  description = "Globally unique name of the bucket."
  type        = string
}

variable "tags" {
  description = "Tags merged onto every resource."
  type        = map(string)
  default     = {}
}
