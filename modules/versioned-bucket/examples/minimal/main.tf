provider "aws" {
  region = "us-east-1"
}

# A private, versioned, encrypted bucket, as ops make the state and artifact stores.
module "bucket" {
  source = "../.."

  bucket_name = "example-versioned-bucket-artifacts"
  tags        = { owner = "ops" }
}
