output "bucket_name" {
  description = "The module's bucket_name."
  value       = module.bucket.bucket_name
}

output "bucket_arn" {
  description = "The module's bucket_arn."
  value       = module.bucket.bucket_arn
}
