"""checkov over the whole project: clean, covering the controls we rely on, and able to fail."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from pipeline.paths import PROJECT_ROOT
from pipeline.policy.scan import run_scan, scan_project

# The controls the scan must actually evaluate (pass, or be suppressed inline with a reason).
REQUIRED_CHECKS = {
    "CKV_AWS_49", "CKV_AWS_356", "CKV_AWS_110", "CKV_AWS_111",  # IAM wildcards and escalation
    "CKV_AWS_115",  # Lambda reserved concurrency
    "CKV_AWS_50",  # Lambda tracing
    "CKV_AWS_116",  # DLQ (suppressed: synchronous invokes only)
    "CKV_AWS_66", "CKV_AWS_338",  # log retention
    "CKV_AWS_28", "CKV_AWS_119",  # DynamoDB PITR, encryption
    "CKV_AWS_309", "CKV2_SVC_1",  # API Gateway authorization, throttling
    "CKV_AWS_45",  # no secrets in Lambda environment variables
}
SKIP_COMMENT = re.compile(r"#\s*checkov:skip=(\S+?)(?::(.*))?$")


def test_the_project_is_clean_and_every_required_control_ran() -> None:
    report = scan_project()
    evaluated = report.passed | {finding.check_id for finding in report.skipped}
    assert REQUIRED_CHECKS <= evaluated, sorted(REQUIRED_CHECKS - evaluated)


def test_every_suppression_gives_a_reason() -> None:
    for tf_file in sorted(PROJECT_ROOT.glob("**/*.tf")):
        if ".local" in tf_file.parts:
            continue
        for number, line in enumerate(tf_file.read_text().splitlines(), 1):
            skip = SKIP_COMMENT.search(line)
            if skip:
                assert len((skip.group(2) or "").split()) >= 5, f"{tf_file}:{number}: say why {skip.group(1)} does not apply"


def test_a_careless_function_and_api_are_reported(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(textwrap.dedent("""
        resource "aws_lambda_function" "f" {
          function_name = "f"
          role          = "arn:aws:iam::123456789012:role/f"
          handler       = "f.handler"
          runtime       = "python3.11"
          filename      = "f.zip"
          environment {
            variables = { AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }
          }
        }

        resource "aws_apigatewayv2_stage" "s" {
          api_id = "a"
          name   = "$default"
        }
    """))
    failed = {finding.check_id for finding in run_scan([tmp_path / "main.tf"]).failed}
    assert {"CKV_AWS_115", "CKV_AWS_50", "CKV_AWS_45", "CKV2_SVC_1"} <= failed, sorted(failed)
