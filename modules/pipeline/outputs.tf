output "pipeline_name" {
  description = "Name of the service's CodePipeline."
  value       = aws_codepipeline.service.name
}

output "pipeline_arn" {
  description = "ARN of the service's CodePipeline."
  value       = aws_codepipeline.service.arn
}

output "codebuild_project_names" {
  description = "Build project name by stage (test, package, deploy-<env>)."
  value       = { for stage, project in aws_codebuild_project.stage : stage => project.name }
}
