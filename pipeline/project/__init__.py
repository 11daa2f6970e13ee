"""What the repository declares: environments, service manifests and the names derived from them. Pure; no AWS."""
