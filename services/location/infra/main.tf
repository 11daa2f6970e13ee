provider "aws" {
  region = var.region
  default_tags {
    tags = { environment = var.environment, service = local.manifest.name }
  }
}

locals {
  manifest = yamldecode(file("${path.module}/../service.yaml"))
  prefix   = "${var.environment}-${local.manifest.name}"
  # The manifest's per-environment overrides (memory, timeout, concurrency) over each function's values.
  overrides = try(local.manifest.environments[var.environment].functions, {})
  functions = { for name, function in local.manifest.functions : name => merge(function, try(local.overrides[name], {})) }
}

# Execution roles come from ops (ops/iam), found by the naming convention <env>-<service>-<function>.
data "aws_iam_role" "function" {
  for_each = local.functions
  name     = "${local.prefix}-${each.key}"
}

module "table" {
  source   = "../../../modules/table"
  for_each = local.manifest.tables

  table_name = "${local.prefix}-${each.key}"
  hash_key   = each.value.hash_key
}

module "function" {
  source   = "../../../modules/function"
  for_each = local.functions

  function_name        = "${local.prefix}-${each.key}"
  role_arn             = data.aws_iam_role.function[each.key].arn
  handler              = each.value.handler
  runtime              = local.manifest.runtime
  memory_mb            = each.value.memory_mb
  timeout_s            = each.value.timeout_s
  reserved_concurrency = each.value.reserved_concurrency
  artifact_bucket      = var.artifact_bucket
  artifact_key         = var.artifact_key
  environment_variables = {
    for table, _ in local.manifest.tables : "TABLE_${upper(table)}" => module.table[table].table_name
  }
}

module "api" {
  source = "../../../modules/http-api"

  api_name             = local.prefix
  authorization        = local.manifest.api.authorization
  throttle_rate_limit  = local.manifest.api.throttle_rate_limit
  throttle_burst_limit = local.manifest.api.throttle_burst_limit
  routes = {
    for name, function in local.manifest.functions : function.route => {
      function_name    = module.function[name].function_name
      alias_name       = "live"
      alias_invoke_arn = module.function[name].alias_invoke_arn
    }
  }
}
