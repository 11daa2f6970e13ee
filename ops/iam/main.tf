provider "aws" {
  region = var.region
  default_tags {
    tags = { environment = var.environment, owner = "ops", root = "ops/iam" }
  }
}

data "aws_caller_identity" "current" {}

# Developers request permissions in their manifests; nothing changes in AWS until ops apply this.
locals {
  services_dir = "${path.root}/../../services"
  manifests = {
    for file in fileset(local.services_dir, "*/service.yaml") :
    dirname(file) => yamldecode(file("${local.services_dir}/${file}"))
  }
  functions = merge([
    for service, manifest in local.manifests : {
      for name, function in manifest.functions :
      "${service}-${name}" => {
        service     = service
        name        = "${var.environment}-${service}-${name}"
        permissions = try(function.permissions, {})
      }
    }
  ]...)
}

module "function_role" {
  source   = "../../modules/iam/function-role"
  for_each = local.functions

  role_name     = each.value.name
  role_path     = "/services/${each.value.service}/"
  function_name = each.value.name
  table_actions = {
    for table, actions in each.value.permissions :
    "arn:aws:dynamodb:${var.region}:${data.aws_caller_identity.current.account_id}:table/${var.environment}-${each.value.service}-${table}" => actions
  }
}
