provider "aws" {
  region = var.region
  default_tags {
    tags = { environment = var.environment, owner = "ops", root = "ops/alerts" }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# The topic every service's alarms notify, found by name (<environment>-alerts) by modules/service.
# CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key, so it has its own.
resource "aws_kms_key" "alerts" {
  description         = "Encrypts the ${var.environment}-alerts topic; CloudWatch alarms may use it to publish."
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.key.json
}

data "aws_iam_policy_document" "key" {
  # checkov:skip=CKV_AWS_111:a key policy's resource "*" means this key only, nothing else
  # checkov:skip=CKV_AWS_356:a key policy's resource "*" means this key only, nothing else
  # checkov:skip=CKV_AWS_109:a key policy's resource "*" means this key only, nothing else
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy, "*" is this key
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
  statement {
    sid       = "CloudWatchPublishes"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"] # in a key policy, "*" is this key
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }
}

resource "aws_sns_topic" "alerts" {
  name              = "${var.environment}-alerts"
  kms_master_key_id = aws_kms_key.alerts.arn
}

data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.topic.json
}

resource "aws_sns_topic_subscription" "alerts" {
  for_each = { for s in var.subscriptions : "${s.protocol}:${s.endpoint}" => s }

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = each.value.protocol
  endpoint  = each.value.endpoint
}
