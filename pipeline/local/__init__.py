"""Working against the emulator from a laptop: the local API gateway."""
