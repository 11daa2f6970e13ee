provider "aws" {
  region = var.region
  default_tags {
    tags = { environment = var.environment, owner = "ops", root = "ops/pipelines" }
  }
}

module "pipeline" {
  source   = "../../modules/pipeline"
  for_each = var.services

  name                   = "${var.environment}-${each.key}"
  service_name           = each.key
  trigger_paths          = each.value.trigger_paths
  trigger_excludes       = each.value.trigger_excludes
  connection_arn         = var.connection_arn
  repository_id          = var.repository_id
  branch                 = var.branch
  artifact_bucket        = var.artifact_bucket
  pipeline_role_arn      = var.pipeline_role_arn
  staging_environment    = var.staging_environment
  production_environment = var.production_environment
  build_role_arns = {
    for environment, arn in var.deployer_role_arns : environment => replace(arn, "{service}", each.key)
  }
}
