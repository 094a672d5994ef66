"""``python -m salarymodel.evaluate``: see :mod:`salarymodel.cli.evaluate`.

The report's data comes from :func:`salarymodel.evidence.report.evaluation_report`.
"""

import sys

from .cli.evaluate import main
from .cli.prog import run_command

if __name__ == "__main__":
    sys.exit(run_command(main))
