provider "aws" {
  region = "us-east-1"
}

locals {
  function_arn = "arn:aws:lambda:us-east-1:123456789012:function:example-orders-get_order"
}

# A private API with one route to a function's live alias.
module "api" {
  source = "../.."

  api_name      = "example-orders"
  authorization = "AWS_IAM"
  routes = {
    "GET /orders/{order_id}" = {
      function_name    = "example-orders-get_order"
      alias_name       = "live"
      alias_invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${local.function_arn}:live/invocations"
    }
  }
  throttle_rate_limit  = 20
  throttle_burst_limit = 40
}
