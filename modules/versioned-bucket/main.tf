resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:state and artifact buckets are written only by the pipeline, which records every write in the ledger
  #checkov:skip=CKV2_AWS_62:nothing consumes events from state or artifact buckets
  #checkov:skip=CKV2_AWS_61:noncurrent-version expiry is left to each account (see docs/emulator.md: the emulator stalls on lifecycle rules)
  #checkov:skip=CKV_AWS_144:state is versioned in one region; cross-region replication is a disaster-recovery choice per account
  #checkov:skip=CKV_AWS_145:encrypted with SSE-S3 (AES256 below); a customer key is an account-level ops choice
  bucket = var.bucket_name
  tags   = var.tags
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
