# Ops' settings for the pipelines in real AWS; `deploy.py pipelines apply` adds environment,
# region, artifact_bucket and the generated `services`. Replace the placeholders when you adopt
# this template (the connection is created and authorised once in the console).
connection_arn    = "arn:aws:codeconnections:eu-west-1:111111111111:connection/replace-me"
repository_id     = "example/serverless-monorepo"
pipeline_role_arn = "arn:aws:iam::111111111111:role/pipelines/codepipeline"
deployer_role_arns = {
  dev  = "arn:aws:iam::111111111111:role/deployers/dev-deployer-{service}"
  prod = "arn:aws:iam::222222222222:role/deployers/prod-deployer-{service}"
}
