provider "aws" {
  region = var.region
  default_tags {
    tags = { environment = var.environment, owner = "ops", root = "ops/bootstrap" }
  }
}

module "state_store" {
  source      = "../../modules/versioned-bucket"
  bucket_name = var.state_bucket
}

module "artifact_store" {
  source      = "../../modules/versioned-bucket"
  bucket_name = var.artifact_bucket
}
