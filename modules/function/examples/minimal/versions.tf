terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # State stays on disk: pass -backend-config=path=<file> at init (the module tests do).
  backend "local" {}
}
