locals {
  manifest = var.manifest
  prefix   = "${var.environment}-${local.manifest.name}"
  # Each function's settings with the manifest's overrides for this environment (environments.<env>.functions).
  overrides = try(local.manifest.environments[var.environment].functions, {})
  functions = {
    for name, function in local.manifest.functions :
    name => merge(function, { for setting, value in try(local.overrides[name], {}) : setting => value if value != null })
  }
  tables  = local.manifest.tables
  invoked = distinct(flatten([for f in values(local.functions) : f.invokes]))
  called  = distinct(flatten([for f in values(local.functions) : f.calls_apis]))

  # Locally the gateway of `make serve` stands in for every API; in AWS the called service's API
  # is found by the naming convention <env>-<service>.
  api_urls = {
    for service in local.called : service => (
      var.service_gateway_url != "" ? "${var.service_gateway_url}/${service}" : data.aws_apigatewayv2_api.called[service].api_endpoint
    )
  }
  environment_variables = merge(
    { POWERTOOLS_SERVICE_NAME = local.manifest.name, POWERTOOLS_LOG_LEVEL = "INFO" },
    { for table, _ in local.tables : "TABLE_${upper(table)}" => module.table[table].table_name },
    { for ref in local.invoked : "FUNCTION_${upper(replace(ref, ".", "_"))}" => "${var.environment}-${replace(ref, ".", "-")}" },
    { for service, url in local.api_urls : "API_${upper(replace(service, "-", "_"))}_URL" => url },
  )
}

# Execution roles come from ops (ops/iam), found by the naming convention <env>-<service>-<function>.
data "aws_iam_role" "function" {
  for_each = local.functions
  name     = "${local.prefix}-${each.key}"
}

data "aws_apigatewayv2_apis" "called" {
  for_each      = var.service_gateway_url == "" ? toset(local.called) : toset([])
  name          = "${var.environment}-${each.key}"
  protocol_type = "HTTP"
}

data "aws_apigatewayv2_api" "called" {
  for_each = data.aws_apigatewayv2_apis.called
  api_id   = one(each.value.ids)
}

module "table" {
  source   = "../table"
  for_each = local.tables

  table_name = "${local.prefix}-${each.key}"
  hash_key   = each.value.hash_key
  range_key  = each.value.range_key
  tags       = var.tags
}

module "function" {
  source   = "../function"
  for_each = local.functions

  function_name         = "${local.prefix}-${each.key}"
  role_arn              = data.aws_iam_role.function[each.key].arn
  handler               = each.value.handler
  runtime               = local.manifest.runtime
  memory_mb             = each.value.memory_mb
  timeout_s             = each.value.timeout_s
  reserved_concurrency  = each.value.reserved_concurrency
  artifact_bucket       = var.artifact_bucket
  artifact_key          = var.artifact_key
  log_retention_days    = var.log_retention_days
  environment_variables = local.environment_variables
  tags                  = var.tags
}

module "api" {
  source = "../http-api"
  count  = local.manifest.api == null ? 0 : 1

  api_name             = local.prefix
  authorization        = local.manifest.api.authorization
  throttle_rate_limit  = local.manifest.api.throttle_rate_limit
  throttle_burst_limit = local.manifest.api.throttle_burst_limit
  tags                 = var.tags
  routes = {
    for name, function in local.functions : function.route => {
      function_name    = module.function[name].function_name
      alias_name       = "live"
      alias_invoke_arn = module.function[name].alias_invoke_arn
    } if function.route != null
  }
}

module "alarms" {
  source = "../alarms"

  function_names = [for function in module.function : function.function_name]
  error_thresholds = {
    for name, function in local.functions : module.function[name].function_name => function.error_alarm_threshold
  }
  table_names   = [for table in module.table : table.table_name]
  alarm_actions = var.alarm_actions
  tags          = var.tags
}
