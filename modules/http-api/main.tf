resource "aws_apigatewayv2_api" "this" {
  name          = var.api_name
  protocol_type = "HTTP"
  tags          = var.tags
}

resource "aws_apigatewayv2_integration" "route" {
  for_each = var.routes

  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_uri        = each.value.alias_invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "this" {
  for_each = var.routes

  api_id             = aws_apigatewayv2_api.this.id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.route[each.key].id}"
  authorization_type = var.authorization
}

resource "aws_apigatewayv2_stage" "default" {
  #checkov:skip=CKV_AWS_76:each request is already logged by the function behind it; API access logs need an ops-owned log destination first
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true
  tags        = var.tags

  default_route_settings {
    throttling_rate_limit  = var.throttle_rate_limit
    throttling_burst_limit = var.throttle_burst_limit
  }

  # Each route's own throttle (the API's unless the route sets one), as API Gateway applies it per route.
  dynamic "route_settings" {
    for_each = var.routes
    content {
      route_key              = route_settings.key
      throttling_rate_limit  = coalesce(route_settings.value.throttle_rate_limit, var.throttle_rate_limit)
      throttling_burst_limit = coalesce(route_settings.value.throttle_burst_limit, var.throttle_burst_limit)
    }
  }

  # Route settings name existing routes.
  depends_on = [aws_apigatewayv2_route.this]
}

resource "aws_lambda_permission" "invoke" {
  for_each = var.routes

  statement_id  = "api-${md5(each.key)}"
  action        = "lambda:InvokeFunction"
  function_name = each.value.function_name
  qualifier     = each.value.alias_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/${replace(each.key, " ", "")}"
}
