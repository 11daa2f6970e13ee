"""Whole operations built from stages: a pipeline execution, one CI stage, orchestration, promotion, drift, recovery, IAM review, scaffolding and CodePipeline."""
