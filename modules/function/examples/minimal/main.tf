provider "aws" {
  region = "us-east-1"
}

# One function, running as the role ops created for it (modules/iam/function-role).
module "function" {
  source = "../.."

  function_name         = "example-orders-get_order"
  role_arn              = "arn:aws:iam::123456789012:role/services/orders/example-orders-get_order"
  handler               = "orders.get_order.handler"
  runtime               = "python3.12"
  artifact_bucket       = "example-artifacts"
  artifact_key          = "services/orders/0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8.zip"
  memory_mb             = 512
  timeout_s             = 15
  reserved_concurrency  = 2
  environment_variables = { TABLE_ORDERS = "example-orders" }
}
