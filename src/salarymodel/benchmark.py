"""``python -m salarymodel.benchmark``: see :mod:`salarymodel.cli.benchmark`."""

import sys

from .cli.benchmark import main
from .cli.prog import run_command

if __name__ == "__main__":
    sys.exit(run_command(main))
