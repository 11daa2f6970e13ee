# Ops' settings for the pipelines in real AWS; `deploy.py pipelines apply` adds environment,
# region, artifact_bucket and the generated `services`. Replace the placeholders when you adopt
# this template (the connection is created and authorised once in the console).
connection_arn    = "arn:aws:codeconnections:eu-west-1:111111111111:connection/replace-me"
repository_id     = "example/serverless-monorepo"
pipeline_role_arn = "arn:aws:iam::111111111111:role/pipelines/codepipeline"
# Build roles per environment: trusted by CodeBuild and listed in environments.toml
# deployer_principals, so the CLI assumes <env>-deployer-<service> from them. A pattern may name
# the service's deployer role itself ({service} is replaced), which the CLI then uses directly.
deployer_role_arns = {
  dev  = "arn:aws:iam::111111111111:role/ci/dev-codebuild"
  prod = "arn:aws:iam::222222222222:role/ci/prod-codebuild"
}
