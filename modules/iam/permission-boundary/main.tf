data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  # Every IAM action that changes something; iam:Get*, iam:List* and iam:PassRole stay possible.
  iam_write_actions = [
    "iam:Add*", "iam:Attach*", "iam:Change*", "iam:Create*", "iam:Deactivate*", "iam:Delete*", "iam:Detach*",
    "iam:Enable*", "iam:Put*", "iam:Remove*", "iam:Reset*", "iam:Resync*", "iam:Set*", "iam:Tag*",
    "iam:Untag*", "iam:Update*", "iam:Upload*",
  ]
  arn_tail  = "${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  partition = data.aws_partition.current.partition
  # Everything the platform creates carries the environment's prefix; the boundary holds roles to it.
  own_resources = [
    "arn:${local.partition}:lambda:${local.arn_tail}:function:${var.name_prefix}-*",
    "arn:${local.partition}:dynamodb:${local.arn_tail}:table/${var.name_prefix}-*",
    "arn:${local.partition}:logs:${local.arn_tail}:log-group:/aws/lambda/${var.name_prefix}-*",
    "arn:${local.partition}:cloudwatch:${local.arn_tail}:alarm:${var.name_prefix}-*",
  ]
}

data "aws_iam_policy_document" "boundary" {
  #checkov:skip=CKV_AWS_107:a boundary grants nothing by itself; it caps roles whose own policies name exact actions
  #checkov:skip=CKV_AWS_108:a boundary grants nothing by itself; data reads are limited by each role's own policy
  #checkov:skip=CKV_AWS_109:every IAM write is denied below; the wildcard only sets the ceiling of allowed services
  #checkov:skip=CKV_AWS_111:writes outside the environment's prefix are denied below; roles' own policies name resources
  #checkov:skip=CKV_AWS_356:a ceiling must span every resource a role may later be granted; roles name their own ARNs
  # The ceiling: only the services the platform uses. A role's own policy narrows it further.
  statement {
    sid = "PlatformServices"
    actions = [
      "apigateway:*", "cloudwatch:*", "dynamodb:*", "execute-api:*", "lambda:*", "logs:*", "s3:*", "xray:*",
      "iam:Get*", "iam:List*", "iam:PassRole", "sts:AssumeRole", "sts:GetCallerIdentity",
    ]
    resources = ["*"]
  }

  # No role may change IAM, so none can grant itself (or a new role) more than it was given.
  statement {
    sid       = "NoIamWrites"
    effect    = "Deny"
    actions   = local.iam_write_actions
    resources = ["*"]
  }

  # Named explicitly as well, so the boundary still holds if the list above is ever narrowed.
  statement {
    sid       = "KeepBoundaries"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary", "iam:PutRolePermissionsBoundary", "iam:PutUserPermissionsBoundary"]
    resources = ["*"]
  }

  # Writes and data access only; List/Describe calls have no named resource and stay allowed.
  statement {
    sid    = "StayInsideTheEnvironment"
    effect = "Deny"
    actions = [
      "cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm",
      "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:Create*", "dynamodb:Delete*", "dynamodb:Get*",
      "dynamodb:Put*", "dynamodb:Query", "dynamodb:Scan", "dynamodb:Update*",
      "lambda:AddPermission", "lambda:Create*", "lambda:Delete*", "lambda:Invoke*", "lambda:Publish*", "lambda:Put*",
      "lambda:RemovePermission", "lambda:Update*",
      "logs:CreateLogGroup", "logs:CreateLogStream", "logs:DeleteLogGroup", "logs:PutLogEvents", "logs:PutRetentionPolicy",
    ]
    not_resources = concat(local.own_resources, [for arn in local.own_resources : "${arn}/*"], [for arn in local.own_resources : "${arn}:*"])
  }
}

resource "aws_iam_policy" "this" {
  name        = var.policy_name
  path        = var.policy_path
  description = "Permission boundary of every role ops create in ${var.name_prefix}: no IAM writes, nothing outside the environment."
  policy      = data.aws_iam_policy_document.boundary.json
  tags        = var.tags
}
