"""``python -m salarymodel.predict``: see :mod:`salarymodel.cli.predict`.

Use ``from salarymodel import predict`` for the function; this module is only
the command line.
"""

import sys

from .cli.predict import main
from .cli.prog import run_command

if __name__ == "__main__":
    sys.exit(run_command(main))
