provider "aws" {
  region = "us-east-1"
}

# The role the orders service's deploys run as, assumable by the CI role.
module "deployer" {
  source = "../.."

  environment              = "example"
  service                  = "orders"
  functions                = ["get_order", "put_order"]
  tables                   = ["orders"]
  artifact_bucket          = "example-artifacts"
  state_bucket             = "example-terraform-state"
  trusted_principals       = ["arn:aws:iam::123456789012:role/ci-deployer"]
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/boundaries/example-boundary"
  denied_iam_actions       = ["iam:Create*", "iam:Delete*", "iam:Put*", "iam:Update*", "iam:Attach*", "iam:Detach*"]
}
