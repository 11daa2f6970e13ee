locals {
  function_alarms = merge([
    for function in var.function_names : {
      "${function}-errors"    = { namespace = "AWS/Lambda", metric = "Errors", dimension = "FunctionName", value = function }
      "${function}-throttles" = { namespace = "AWS/Lambda", metric = "Throttles", dimension = "FunctionName", value = function }
    }
  ]...)
  table_alarms = {
    for table in var.table_names :
    "${table}-read-throttles" => { namespace = "AWS/DynamoDB", metric = "ReadThrottleEvents", dimension = "TableName", value = table }
  }
}

# Any throttle in a period alarms; errors alarm above the function's threshold (default 0), which
# a manifest may raise per environment.
resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = merge(local.function_alarms, local.table_alarms)

  alarm_name          = each.key
  alarm_description   = "${each.value.metric} of ${each.value.value}"
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = { (each.value.dimension) = each.value.value }
  statistic           = "Sum"
  period              = var.period_s
  evaluation_periods  = 1
  threshold           = each.value.metric == "Errors" ? lookup(var.error_thresholds, each.value.value, 0) : 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}
