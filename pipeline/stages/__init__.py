"""One stage each: package (and SBOM), deploy, verify, invoke, and the live configuration checks."""
