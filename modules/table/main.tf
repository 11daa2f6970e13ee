resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_119:encrypted at rest with the AWS-managed key (server_side_encryption below); a customer key is an account-level ops choice
  name         = var.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = var.hash_key
  range_key    = var.range_key
  tags         = var.tags

  attribute {
    name = var.hash_key
    type = var.hash_key_type
  }

  dynamic "attribute" {
    for_each = var.range_key == null ? [] : [var.range_key]
    content {
      name = attribute.value
      type = var.range_key_type
    }
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}
