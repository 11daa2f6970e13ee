"""The deploy orchestrator: finds services, runs them through test, package and deploy."""
