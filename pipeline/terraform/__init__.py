"""Terraform itself: the toolchain and provider mirror, the CLI runner, local modules and the roots it applies."""
