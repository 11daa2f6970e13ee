output "pipeline_names" {
  description = "CodePipeline name by service."
  value       = { for service, pipeline in module.pipeline : service => pipeline.pipeline_name }
}

output "codebuild_project_names" {
  description = "Build project names by service, then stage."
  value       = { for service, pipeline in module.pipeline : service => pipeline.codebuild_project_names }
}
