"""The local console: a page over the same pipeline/ functions as the CLI, served by `deploy.py serve`."""
