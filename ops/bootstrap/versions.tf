terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # The state store cannot hold its own state before it exists: this root keeps a local state
  # file, passed with -backend-config=path=..., which ops keep (or migrate into the bucket).
  backend "local" {}
}
