variable "name" {
  description = "Name of the pipeline, and prefix of its build projects, e.g. dev-location."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9-]{0,60}$", var.name))
    error_message = "name must start with a letter and hold only letters, digits and dashes (at most 61)."
  }
}

variable "service_name" {
  description = "The service (a folder under services/) every stage command acts on."
  type        = string
}

variable "trigger_paths" {
  description = "Repository path globs whose change starts the pipeline, generated from the change detection rules (pipeline/changes/rules.py path_filter)."
  type        = list(string)
  validation {
    # CodePipeline allows 3 push filters of 8 file path globs each.
    condition     = length(var.trigger_paths) >= 1 && length(var.trigger_paths) <= 24
    error_message = "trigger_paths must hold 1 to 24 globs."
  }
}

variable "trigger_excludes" {
  description = "Path globs that never start the pipeline even inside trigger_paths (docs, ops roots)."
  type        = list(string)
  default     = []
  validation {
    condition     = length(var.trigger_excludes) <= 8
    error_message = "trigger_excludes must hold at most 8 globs."
  }
}

variable "connection_arn" {
  description = "CodeStar connection to the source repository (created and authorised by ops in the console once)."
  type        = string
}

variable "repository_id" {
  description = "Source repository as owner/name."
  type        = string
}

variable "branch" {
  description = "Branch whose pushes start the pipeline."
  type        = string
  default     = "main"
}

variable "artifact_bucket" {
  description = "Bucket where CodePipeline passes artifacts between stages."
  type        = string
}

variable "pipeline_role_arn" {
  description = "Role CodePipeline runs as (trusts codepipeline.amazonaws.com), created by ops' IAM root. This module creates no IAM."
  type        = string
}

variable "build_role_arns" {
  description = "The service's deployer role per environment, used as the CodeBuild service role; must name staging_environment and production_environment."
  type        = map(string)
}

variable "staging_environment" {
  description = "Environment deployed and verified before the manual approval."
  type        = string
  default     = "dev"
}

variable "production_environment" {
  description = "Environment deployed after the manual approval."
  type        = string
  default     = "prod"
}

variable "build_image" {
  description = "CodeBuild image; it needs Python 3.11+ and curl."
  type        = string
  default     = "aws/codebuild/standard:7.0"
}

variable "compute_type" {
  description = "CodeBuild compute type."
  type        = string
  default     = "BUILD_GENERAL1_SMALL"
  validation {
    condition     = contains(["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"], var.compute_type)
    error_message = "compute_type must be BUILD_GENERAL1_SMALL, BUILD_GENERAL1_MEDIUM or BUILD_GENERAL1_LARGE."
  }
}

variable "terraform_version" {
  description = "Terraform release the deploy builds install."
  type        = string
  default     = "1.11.4"
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for build outputs and pipeline artifacts; null uses AWS-managed keys."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for the pipeline and its build projects."
  type        = map(string)
  default     = {}
}
