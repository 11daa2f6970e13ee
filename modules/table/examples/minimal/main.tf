provider "aws" {
  region = "us-east-1"
}

# An orders table keyed by customer and order id.
module "table" {
  source = "../.."

  table_name = "example-orders"
  hash_key   = "customer_id"
  range_key  = "order_id"
  tags       = { team = "orders" }
}
