data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition = data.aws_partition.current.partition
  arn_tail  = "${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  prefix    = "${var.environment}-${var.service}"
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = var.trusted_principals
    }
  }
}

data "aws_iam_policy_document" "permissions" {
  # Artifacts, ledger records and heads, and the deploy lock: each under the service's own name.
  statement {
    sid     = "OwnArtifactsLedgerAndLock"
    actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [
      "arn:${local.partition}:s3:::${var.artifact_bucket}/services/${var.service}/*",
      "arn:${local.partition}:s3:::${var.artifact_bucket}/ledger/${var.service}/*",
      "arn:${local.partition}:s3:::${var.artifact_bucket}/ledger-heads/${var.service}.*",
      "arn:${local.partition}:s3:::${var.artifact_bucket}/locks/${var.service}.json",
    ]
  }

  # The state object and its S3-native lock file (terraform.tfstate.tflock).
  statement {
    sid       = "OwnState"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["arn:${local.partition}:s3:::${var.state_bucket}/services/${var.service}/infra/terraform.tfstate*"]
  }

  # The pipeline refuses to deploy onto a state bucket without versioning: it reads the setting.
  statement {
    sid       = "CheckStateBucketVersioning"
    actions   = ["s3:GetBucketVersioning"]
    resources = ["arn:${local.partition}:s3:::${var.state_bucket}"]
  }

  # Listing reads key names only; a prefix Condition would narrow it in AWS, but the emulator
  # denies statements with Conditions it cannot evaluate.
  statement {
    sid       = "ListBuckets"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${var.artifact_bucket}", "arn:${local.partition}:s3:::${var.state_bucket}"]
  }

  statement {
    sid = "OwnFunctions"
    actions = [
      "lambda:AddPermission", "lambda:CreateAlias", "lambda:CreateFunction", "lambda:DeleteAlias",
      "lambda:DeleteFunction", "lambda:DeleteFunctionConcurrency", "lambda:GetAlias", "lambda:GetFunction",
      "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionConcurrency", "lambda:GetFunctionConfiguration",
      "lambda:GetPolicy", "lambda:InvokeFunction", "lambda:ListTags", "lambda:ListVersionsByFunction", "lambda:PublishVersion",
      "lambda:PutFunctionConcurrency", "lambda:RemovePermission", "lambda:TagResource", "lambda:UntagResource",
      "lambda:UpdateAlias", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
    ]
    resources = [
      "arn:${local.partition}:lambda:${local.arn_tail}:function:${local.prefix}-*",
    ]
  }

  statement {
    sid = "OwnTables"
    actions = [
      "dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTable",
      "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource", "dynamodb:TagResource", "dynamodb:UntagResource",
      "dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive",
    ]
    resources = ["arn:${local.partition}:dynamodb:${local.arn_tail}:table/${local.prefix}-*"]
  }

  statement {
    sid = "OwnLogGroups"
    actions = [
      "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy", "logs:ListTagsForResource",
      "logs:ListTagsLogGroup", "logs:PutRetentionPolicy", "logs:TagLogGroup", "logs:TagResource",
      "logs:UntagLogGroup", "logs:UntagResource",
    ]
    resources = ["arn:${local.partition}:logs:${local.arn_tail}:log-group:/aws/lambda/${local.prefix}-*"]
  }

  # DescribeLogGroups is authorised against every log group of the account, never one.
  statement {
    sid       = "FindLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["arn:${local.partition}:logs:${local.arn_tail}:log-group:*"]
  }

  statement {
    sid = "OwnAlarms"
    actions = [
      "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource",
      "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource",
    ]
    resources = ["arn:${local.partition}:cloudwatch:${local.arn_tail}:alarm:${local.prefix}-*"]
  }

  # HTTP APIs are addressed by a generated id, never by name, so no ARN can single out this
  # service's APIs: /apis and /apis/* (with its routes, stages, integrations) is the narrowest.
  statement {
    sid     = "HttpApis"
    actions = ["apigateway:DELETE", "apigateway:GET", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT"]
    resources = [
      "arn:${local.partition}:apigateway:${data.aws_region.current.name}::/apis",
      "arn:${local.partition}:apigateway:${data.aws_region.current.name}::/apis/*",
      "arn:${local.partition}:apigateway:${data.aws_region.current.name}::/tags/*",
    ]
  }

  # verify's smoke checks call the service's own IAM-authorised routes, signed as the deployer.
  dynamic "statement" {
    for_each = length(var.api_route_arns) > 0 ? [1] : []
    content {
      sid       = "SmokeCheckOwnRoutes"
      actions   = ["execute-api:Invoke"]
      resources = var.api_route_arns
    }
  }

  # Terraform's data "aws_iam_role" looks the service's execution roles up by name.
  statement {
    sid       = "ReadOwnRoles"
    actions   = ["iam:GetRole"]
    resources = ["arn:${local.partition}:iam::${data.aws_caller_identity.current.account_id}:role/services/${var.service}/*"]
  }

  statement {
    sid       = "PassOwnRoles"
    actions   = ["iam:PassRole"]
    resources = ["arn:${local.partition}:iam::${data.aws_caller_identity.current.account_id}:role/services/${var.service}/*"]
  }

  # Belt and braces: even if an Allow above were widened by mistake, IAM stays read-only. The
  # boundary denies the same, but the local emulator does not evaluate boundaries.
  statement {
    sid       = "NoIamWrites"
    effect    = "Deny"
    actions   = var.denied_iam_actions
    resources = ["*"]
  }
}

resource "aws_iam_role" "this" {
  name                 = "${var.environment}-deployer-${var.service}"
  path                 = "/deployers/"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  permissions_boundary = var.permissions_boundary_arn
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "deploy-${var.service}"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.permissions.json
}
