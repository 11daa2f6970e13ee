provider "aws" {
  region = var.region
  default_tags {
    tags = { environment = var.environment, service = local.manifest.name }
  }
}

locals {
  manifest = yamldecode(file("${path.module}/../service.yaml"))
}

# Tables, functions, API and alarms as the manifest declares them; add service-specific
# resources beside this module.
module "service" {
  source = "../../../modules/service"

  manifest            = local.manifest
  environment         = var.environment
  artifact_bucket     = var.artifact_bucket
  artifact_key        = var.artifact_key
  service_gateway_url = var.service_gateway_url
}
