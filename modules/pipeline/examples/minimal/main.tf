provider "aws" {
  region = "us-east-1"
}

# The orders service's pipeline: test, package, deploy to dev, approval, deploy to prod.
module "pipeline" {
  source = "../.."

  name              = "example-orders"
  service_name      = "orders"
  trigger_paths     = ["services/orders/**", "modules/function/*", "modules/service/*"]
  trigger_excludes  = ["**/*.md"]
  connection_arn    = "arn:aws:codestar-connections:us-east-1:123456789012:connection/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
  repository_id     = "example/monorepo"
  artifact_bucket   = "example-artifacts"
  pipeline_role_arn = "arn:aws:iam::123456789012:role/pipelines/example-pipeline"
  build_role_arns = {
    dev  = "arn:aws:iam::123456789012:role/deployers/dev-deployer-orders"
    prod = "arn:aws:iam::210987654321:role/deployers/prod-deployer-orders"
  }
}
