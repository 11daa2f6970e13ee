"""The command line: parses arguments, calls pipeline/, prints results and sets the exit code.

`deploy.py` is the entry point; each module in `commands/` registers its subcommands; the
reporters and renderers here only print what pipeline/ returns.
"""
