data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition = data.aws_partition.current.partition
  arn_tail  = "${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  prefix    = "${var.environment}-${var.service}"
  region    = data.aws_region.current.name
  # The role path /services/<service>/ ends in a slash, so it never covers location-history's roles.
  own_roles      = "arn:${local.partition}:iam::${data.aws_caller_identity.current.account_id}:role/services/${var.service}/*"
  function_arns  = [for function in var.functions : "arn:${local.partition}:lambda:${local.arn_tail}:function:${local.prefix}-${function}"]
  log_group_arns = [for function in var.functions : "arn:${local.partition}:logs:${local.arn_tail}:log-group:/aws/lambda/${local.prefix}-${function}"]
  # The tags the service root's default_tags put on its API; API access follows them.
  api_tags = { service = [var.service], environment = [var.environment] }
  alarm_names = concat(
    flatten([for function in var.functions : [for metric in ["errors", "throttles"] : "${local.prefix}-${function}-${metric}"]]),
    [for table in var.tables : "${local.prefix}-${table}-read-throttles"],
  )
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

  # Listing reads key names only, and deploys compare every service's ledger head (changed).
  statement {
    sid       = "ListBuckets"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${var.artifact_bucket}", "arn:${local.partition}:s3:::${var.state_bucket}"]
  }

  # Exact names from the manifest, never a prefix: service names may contain hyphens, so
  # "<env>-location-*" would also cover every resource of a service named location-history.
  # ":*" adds the function's versions, aliases and their permissions.
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
    resources = flatten([for arn in local.function_arns : [arn, "${arn}:*"]])
  }

  dynamic "statement" {
    for_each = length(var.tables) > 0 ? [1] : []
    content {
      sid = "OwnTables"
      actions = [
        "dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTable",
        "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource", "dynamodb:TagResource", "dynamodb:UntagResource",
        "dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive",
      ]
      resources = [for table in var.tables : "arn:${local.partition}:dynamodb:${local.arn_tail}:table/${local.prefix}-${table}"]
    }
  }

  statement {
    sid = "OwnLogGroups"
    actions = [
      "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy", "logs:ListTagsForResource",
      "logs:ListTagsLogGroup", "logs:PutRetentionPolicy", "logs:TagLogGroup", "logs:TagResource",
      "logs:UntagLogGroup", "logs:UntagResource",
    ]
    resources = flatten([for arn in local.log_group_arns : [arn, "${arn}:*"]])
  }

  # DescribeLogGroups is authorised against every log group of the account, never one.
  statement {
    sid       = "FindLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["arn:${local.partition}:logs:${local.arn_tail}:log-group:*"]
  }

  # DescribeAlarms by name prefix (a rollout watching its alarms) is authorised against every alarm.
  statement {
    sid       = "FindAlarms"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = ["arn:${local.partition}:cloudwatch:${local.arn_tail}:alarm:*"]
  }

  # Alarms by exact name too, as modules/alarms names them: "<function>-*" would cover the
  # alarms of a service whose name extends this one's with "-<function>".
  statement {
    sid = "OwnAlarms"
    actions = [
      "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource",
      "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource",
    ]
    resources = [for name in local.alarm_names : "arn:${local.partition}:cloudwatch:${local.arn_tail}:alarm:${name}"]
  }

  # HTTP APIs have generated ids, so no ARN can name this service's API before it exists: access
  # follows the tags the service root puts on it (default_tags environment and service). Routes,
  # integrations, stages and deployments are authorised against their API's tags.
  statement {
    sid       = "CreateOwnApi"
    actions   = ["apigateway:POST"]
    resources = ["arn:${local.partition}:apigateway:${local.region}::/apis"]
    # Its own tags, and the name callers find it by (<env>-<service>): no API posing as another's.
    dynamic "condition" {
      for_each = merge({ for key, values in local.api_tags : "aws:RequestTag/${key}" => values }, { "apigateway:Request/ApiName" = [local.prefix] })
      content {
        test     = "StringEquals"
        variable = condition.key
        values   = condition.value
      }
    }
  }

  statement {
    sid       = "ChangeOwnApi"
    actions   = ["apigateway:DELETE", "apigateway:GET", "apigateway:PATCH", "apigateway:POST"]
    resources = ["arn:${local.partition}:apigateway:${local.region}::/apis/*"]
    dynamic "condition" {
      for_each = { for key, values in local.api_tags : "aws:ResourceTag/${key}" => values }
      content {
        test     = "StringEquals"
        variable = condition.key
        values   = condition.value
      }
    }
    condition {
      test     = "StringEqualsIfExists"
      variable = "apigateway:Request/ApiName"
      values   = [local.prefix]
    }
  }

  # Listing returns names and ids only; a service that calls others' APIs reads their endpoint.
  statement {
    sid       = "FindApis"
    actions   = ["apigateway:GET"]
    resources = ["arn:${local.partition}:apigateway:${local.region}::/apis"]
  }

  dynamic "statement" {
    for_each = length(var.called_services) > 0 ? [1] : []
    content {
      sid       = "ReadCalledApis"
      actions   = ["apigateway:GET"]
      resources = ["arn:${local.partition}:apigateway:${local.region}::/apis/*"]
      dynamic "condition" {
        for_each = { for key, values in merge(local.api_tags, { service = var.called_services }) : "aws:ResourceTag/${key}" => values }
        content {
          test     = "StringEquals"
          variable = condition.key
          values   = condition.value
        }
      }
    }
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

  # Terraform's data "aws_iam_role" looks the service's execution roles up by name; preflight reads
  # their policies to refuse code whose grants ops have not applied yet.
  statement {
    sid       = "ReadOwnRoles"
    actions   = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies"]
    resources = [local.own_roles]
  }

  statement {
    sid       = "PassOwnRolesToLambda"
    actions   = ["iam:PassRole"]
    resources = [local.own_roles]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com"]
    }
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
