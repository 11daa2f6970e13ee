"""The profile service's Lambda handlers, one module per endpoint and action."""
