"""``python -m salarymodel.train`` trains a model from the command line; in Python,
:func:`train` (``from salarymodel.train import train``).

The run itself is :mod:`salarymodel.pipeline`; this module names it where users
look for it and hands ``-m`` over to the command line (:mod:`salarymodel.cli.train`).
"""

from __future__ import annotations

from .pipeline import DEFAULT_DATA_OUT, DEFAULT_OUT, TrainingResult, train

__all__ = ["TrainingResult", "train", "DEFAULT_OUT", "DEFAULT_DATA_OUT"]

if __name__ == "__main__":
    import sys

    from .cli.prog import run_command
    from .cli.train import main

    sys.exit(run_command(main))
