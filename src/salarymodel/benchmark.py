"""``python -m salarymodel.benchmark``: see :mod:`salarymodel.cli.benchmark`."""

import sys

from .cli.benchmark import main

if __name__ == "__main__":
    sys.exit(main())
