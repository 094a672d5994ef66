"""``python -m salarymodel.benchmark``: see :mod:`salarymodel.cli.benchmark`."""

import sys

from .cli._prog import run_command
from .cli.benchmark import main

if __name__ == "__main__":
    sys.exit(run_command(main))
