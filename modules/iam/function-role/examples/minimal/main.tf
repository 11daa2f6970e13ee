provider "aws" {
  region = "us-east-1"
}

# The execution role of orders' get_order: its own logs, GetItem on its table, verify_token of
# authentication.
module "role" {
  source = "../.."

  role_name                = "example-orders-get_order"
  role_path                = "/services/orders/"
  function_name            = "example-orders-get_order"
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/boundaries/example-boundary"
  table_actions = {
    "arn:aws:dynamodb:us-east-1:123456789012:table/example-orders-orders" = ["dynamodb:GetItem"]
  }
  invoke_function_arns = ["arn:aws:lambda:us-east-1:123456789012:function:example-authentication-verify_token:live"]
}
