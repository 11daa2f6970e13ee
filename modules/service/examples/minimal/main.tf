provider "aws" {
  region = "us-east-1"
}

# A service as its manifest declares it; services/<name>/infra passes the manifest the
# pipeline validated (its `manifest` variable) instead of this literal.
# Its execution role, example-orders-get_order under /services/orders/, comes from ops.
module "service" {
  source = "../.."

  environment     = "example"
  artifact_bucket = "example-artifacts"
  artifact_key    = "services/orders/0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8.zip"
  manifest = {
    name        = "orders"
    description = "Orders by id."
    runtime     = "python3.11"
    api         = { authorization = "AWS_IAM" }
    tables      = { orders = { hash_key = "order_id" } }
    functions = {
      get_order = {
        handler     = "orders.get_order.handler"
        route       = "GET /orders/{order_id}"
        permissions = { orders = ["dynamodb:GetItem"] }
      }
    }
    environments = { prod = { functions = { get_order = { memory_mb = 512 } } } }
  }
}
