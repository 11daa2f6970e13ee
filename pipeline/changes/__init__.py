"""Which services a commit touches: git, path rules, the dependency graph and selection against the ledger."""
