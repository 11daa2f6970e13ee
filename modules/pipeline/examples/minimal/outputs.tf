output "pipeline_name" {
  description = "The module's pipeline_name."
  value       = module.pipeline.pipeline_name
}

output "codebuild_project_names" {
  description = "The module's codebuild_project_names."
  value       = module.pipeline.codebuild_project_names
}
