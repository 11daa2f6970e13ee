#!/usr/bin/env python3
"""The deploy CLI's entry point; the commands live in cli/, the work in pipeline/."""

import sys

from cli.main import main

if __name__ == "__main__":
    sys.exit(main())
