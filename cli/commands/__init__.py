"""One module per group of subcommands; each has `register(commands)`, which adds its parsers."""
