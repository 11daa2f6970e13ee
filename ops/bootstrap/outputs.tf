output "state_bucket" {
  description = "Name of the Terraform state bucket."
  value       = module.state_store.bucket_name
}

output "artifact_bucket" {
  description = "Name of the artifact bucket."
  value       = module.artifact_store.bucket_name
}
