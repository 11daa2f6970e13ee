provider "aws" {
  region = "us-east-1"
}

# The boundary every role ops create in the example environment carries.
module "boundary" {
  source = "../.."

  policy_name = "example-boundary"
  name_prefix = "example"
}
