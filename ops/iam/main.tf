provider "aws" {
  region = var.region
  default_tags {
    tags = { environment = var.environment, owner = "ops", root = "ops/iam" }
  }
}

data "aws_caller_identity" "current" {}

# Developers request permissions in their manifests; nothing changes in AWS until ops apply this.
locals {
  functions = merge([
    for service, manifest in var.manifests : {
      for name, function in manifest.functions :
      "${service}-${name}" => {
        service     = service
        name        = "${var.environment}-${service}-${name}"
        permissions = try(function.permissions, {})
        invokes     = try(function.invokes, [])
        calls_apis  = try(function.calls_apis, [])
      }
    }
  ]...)
  # Routes of every service, as execute-api resource patterns: any API id and stage, the route's
  # method, path parameters as wildcards. API ids are random, so routes are what a grant can name.
  api_routes = {
    for service, manifest in var.manifests : service => [
      for function in values(manifest.functions) :
      "arn:aws:execute-api:${var.region}:${data.aws_caller_identity.current.account_id}:*/*/${split(" ", function.route)[0]}${replace(split(" ", function.route)[1], "/\\{[^/]+\\}/", "*")}"
      if try(function.route, null) != null
    ]
  }
}

module "boundary" {
  source      = "../../modules/iam/permission-boundary"
  policy_name = "${var.environment}-boundary"
  name_prefix = var.environment
}

module "function_role" {
  source   = "../../modules/iam/function-role"
  for_each = local.functions

  role_name                = each.value.name
  role_path                = "/services/${each.value.service}/"
  function_name            = each.value.name
  permissions_boundary_arn = module.boundary.policy_arn
  table_actions = {
    for table, actions in each.value.permissions :
    "arn:aws:dynamodb:${var.region}:${data.aws_caller_identity.current.account_id}:table/${var.environment}-${each.value.service}-${table}" => actions
  }
  invoke_function_arns = [
    for ref in each.value.invokes :
    "arn:aws:lambda:${var.region}:${data.aws_caller_identity.current.account_id}:function:${var.environment}-${replace(ref, ".", "-")}:live"
  ]
  execute_api_arns = flatten([for service in each.value.calls_apis : lookup(local.api_routes, service, [])])
}

# One deployer per service; who may assume it is an input (the developer user locally, CI in AWS).
module "deployer" {
  source   = "../../modules/iam/deployer"
  for_each = var.manifests

  environment              = var.environment
  service                  = each.key
  artifact_bucket          = var.artifact_bucket
  state_bucket             = var.state_bucket
  trusted_principals       = var.deployer_trusted_principals
  permissions_boundary_arn = module.boundary.policy_arn
  denied_iam_actions       = module.boundary.policy_iam_write_actions
}
