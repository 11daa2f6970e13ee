data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  log_group_arn = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda/${var.function_name}"
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "permissions" {
  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }

  # X-Ray's segment APIs accept no resource narrower than "*".
  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = var.table_actions
    content {
      actions   = statement.value
      resources = [statement.key]
    }
  }

  dynamic "statement" {
    for_each = length(var.invoke_function_arns) > 0 ? [1] : []
    content {
      sid       = "InvokeOtherServices"
      actions   = ["lambda:InvokeFunction"]
      resources = var.invoke_function_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.execute_api_arns) > 0 ? [1] : []
    content {
      sid       = "CallOtherServicesApis"
      actions   = ["execute-api:Invoke"]
      resources = var.execute_api_arns
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.role_name
  path                 = var.role_path
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "least-privilege"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.permissions.json
}
