resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; a customer key per function is an account-level ops choice
  #checkov:skip=CKV_AWS_338:retention is set per function (log_retention_days, checked by CKV_AWS_66); a year is a cost choice, not a control
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:functions are invoked synchronously by API Gateway, which returns errors to the caller; a DLQ only catches async invokes
  #checkov:skip=CKV_AWS_117:functions reach only AWS APIs (DynamoDB, X-Ray, Logs) and no private network resources
  #checkov:skip=CKV_AWS_272:artifacts are built reproducibly and verified by SHA-256 before publish; AWS Signer is not available in every environment
  #checkov:skip=CKV_AWS_173:environment variables carry only resource names, never secrets (CKV_AWS_45 checks), so the default key suffices
  function_name                  = var.function_name
  role                           = var.role_arn
  handler                        = var.handler
  runtime                        = var.runtime
  s3_bucket                      = var.artifact_bucket
  s3_key                         = var.artifact_key
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_s
  reserved_concurrent_executions = var.reserved_concurrency
  publish                        = true
  tags                           = var.tags

  tracing_config {
    mode = "Active"
  }

  dynamic "environment" {
    for_each = length(var.environment_variables) > 0 ? [1] : []
    content {
      variables = var.environment_variables
    }
  }

  # The pipeline owns code versions: it updates code, publishes a version and moves the `live`
  # alias without Terraform. Terraform sets the first code only, so it never sees drift from that.
  lifecycle {
    ignore_changes = [s3_bucket, s3_key, s3_object_version, source_code_hash]
  }

  depends_on = [aws_cloudwatch_log_group.this]
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version

  lifecycle {
    ignore_changes = [function_version, routing_config] # the pipeline moves live, weighted during a rollout
  }
}
