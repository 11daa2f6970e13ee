provider "aws" {
  region = var.region
  default_tags {
    tags = { environment = var.environment, service = var.manifest.name }
  }
}

# Tables, functions, API and alarms as the manifest declares them; add service-specific
# resources beside this module.
module "service" {
  source = "../../../modules/service"

  manifest            = var.manifest
  environment         = var.environment
  artifact_bucket     = var.artifact_bucket
  artifact_key        = var.artifact_key
  service_gateway_url = var.service_gateway_url
}
