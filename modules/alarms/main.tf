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

# Any error or throttle in a period alarms: these services should have neither in normal operation.
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
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  tags                = var.tags
}
