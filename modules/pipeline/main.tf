# One service's delivery pipeline: every build runs the same `deploy.py` commands a developer
# runs locally, so CodePipeline is only a runner.
locals {
  service = var.service_name
  install = [
    "python -m pip install --quiet --require-hashes -r requirements/dev.txt",
  ]
  install_terraform = [
    "curl -fsSLo /tmp/terraform.zip https://releases.hashicorp.com/terraform/${var.terraform_version}/terraform_${var.terraform_version}_linux_amd64.zip",
    "unzip -o -q /tmp/terraform.zip -d /usr/local/bin",
  ]
  # The package stage's output artifact arrives in the deploy builds as a secondary source.
  artifact = "$CODEBUILD_SRC_DIR_package/dist/${local.service}.zip"

  build_projects = {
    test = {
      environment = var.staging_environment
      commands    = ["python deploy.py stage test --service ${local.service}"]
      install     = local.install
      artifacts   = []
    }
    package = {
      environment = var.staging_environment
      commands    = ["python deploy.py stage package --service ${local.service} --out dist"]
      install     = local.install
      artifacts   = ["dist/${local.service}.zip", "dist/${local.service}.sha256"]
    }
  }
  deploy_projects = {
    for environment in [var.staging_environment, var.production_environment] : "deploy-${environment}" => {
      environment = environment
      commands = [
        "python deploy.py stage deploy --service ${local.service} --env ${environment} --artifact \"${local.artifact}\" --execution \"$PIPELINE_EXECUTION_ID\"",
        "python deploy.py stage verify --service ${local.service} --env ${environment} --execution \"$PIPELINE_EXECUTION_ID\"",
      ]
      install   = concat(local.install, local.install_terraform)
      artifacts = []
    }
  }

  build_environment_variables = jsonencode([
    { name = "PIPELINE_EXECUTION_ID", value = "#{codepipeline.PipelineExecutionId}", type = "PLAINTEXT" },
  ])
}

resource "aws_codebuild_project" "stage" {
  #checkov:skip=CKV_AWS_147:kms_key_arn sets a CMK when ops own one; without it CodeBuild uses the AWS-managed S3 key
  for_each = merge(local.build_projects, local.deploy_projects)

  name           = "${var.name}-${each.key}"
  description    = "${local.service}: ${each.key}"
  service_role   = var.build_role_arns[each.value.environment]
  build_timeout  = 30
  encryption_key = var.kms_key_arn
  tags           = var.tags

  logs_config {
    cloudwatch_logs {
      group_name = "/codebuild/${var.name}"
      status     = "ENABLED"
    }
  }

  source {
    type = "CODEPIPELINE"
    buildspec = yamlencode(merge(
      {
        version = "0.2"
        # CodeBuild already holds the deployer role's credentials: no profiles.
        env    = { variables = { DEPLOY_AMBIENT_CREDENTIALS = "1" } }
        phases = { install = { commands = each.value.install }, build = { commands = each.value.commands } }
      },
      length(each.value.artifacts) > 0 ? { artifacts = { files = each.value.artifacts } } : {},
    ))
  }

  artifacts {
    type = "CODEPIPELINE"
  }

  environment {
    type         = "LINUX_CONTAINER"
    image        = var.build_image
    compute_type = var.compute_type
  }
}

resource "aws_codepipeline" "service" {
  #checkov:skip=CKV_AWS_219:kms_key_arn sets a CMK when ops own one; without it the artifact bucket's default encryption applies
  name           = var.name
  role_arn       = var.pipeline_role_arn
  pipeline_type  = "V2"
  execution_mode = "QUEUED"
  tags           = var.tags

  artifact_store {
    type     = "S3"
    location = var.artifact_bucket
    dynamic "encryption_key" {
      for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
      content {
        type = "KMS"
        id   = encryption_key.value
      }
    }
  }

  trigger {
    provider_type = "CodeStarSourceConnection"
    git_configuration {
      source_action_name = "Source"
      dynamic "push" {
        for_each = chunklist(var.trigger_paths, 8)
        content {
          branches {
            includes = [var.branch]
          }
          file_paths {
            includes = push.value
            excludes = length(var.trigger_excludes) > 0 ? var.trigger_excludes : null
          }
        }
      }
    }
  }

  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["source"]
      configuration = {
        ConnectionArn    = var.connection_arn
        FullRepositoryId = var.repository_id
        BranchName       = var.branch
      }
    }
  }

  dynamic "stage" {
    for_each = ["test", "package", "deploy-${var.staging_environment}"]
    content {
      name = stage.value
      action {
        name             = stage.value
        category         = "Build"
        owner            = "AWS"
        provider         = "CodeBuild"
        version          = "1"
        input_artifacts  = stage.value == "test" || stage.value == "package" ? ["source"] : ["source", "package"]
        output_artifacts = stage.value == "package" ? ["package"] : []
        configuration = {
          ProjectName          = aws_codebuild_project.stage[stage.value].name
          PrimarySource        = "source"
          EnvironmentVariables = local.build_environment_variables
        }
      }
    }
  }

  stage {
    name = "approve-${var.production_environment}"
    action {
      name     = "approve"
      category = "Approval"
      owner    = "AWS"
      provider = "Manual"
      version  = "1"
      configuration = {
        CustomData = "Deploy ${local.service} to ${var.production_environment}: the artifact verified in ${var.staging_environment}."
      }
    }
  }

  stage {
    name = "deploy-${var.production_environment}"
    action {
      name            = "deploy-${var.production_environment}"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["source", "package"]
      configuration = {
        ProjectName          = aws_codebuild_project.stage["deploy-${var.production_environment}"].name
        PrimarySource        = "source"
        EnvironmentVariables = local.build_environment_variables
      }
    }
  }
}
