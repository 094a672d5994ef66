"""``python -m salarymodel <command>``: the ``salarymodel`` console script's commands
(train, predict, ranges, evaluate, serve) without relying on the script's install path."""

import sys

from .cli.console import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m salarymodel"))
