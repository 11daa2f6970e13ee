"""What an environment remembers: the deploy ledger, per-service locks, the bootstrap buckets and preflight checks."""
