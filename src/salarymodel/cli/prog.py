"""The program name a command's help shows: ``salarymodel predict`` when run
or ``python -m salarymodel predict`` when run through a dispatcher, ``module_form`` otherwise."""

from __future__ import annotations

import os
import sys
import warnings

from ..errors import UnknownEmployerWarning

__all__ = ["prog", "run_command"]


def prog(module_form: str) -> str:
    """``sys.argv[0]`` when a dispatcher set it, else ``module_form``."""
    name = sys.argv[0] if sys.argv else ""
    return name if name.startswith(("salarymodel ", "python -m salarymodel ")) else module_form


def run_command(main, argv: list[str] | None = None) -> int:
    """Run a command's ``main`` so that no traceback reaches the user.

    Python's warning that an employer is unknown is not shown: the answer
    says so. Known failures are reported by the commands themselves; what is left
    here is reported in one line: a closed output pipe ends quietly, an
    interrupt exits 130, a file-system error or anything unexpected exits 2
    naming its type.
    """
    try:
        with warnings.catch_warnings():
            # A command's answer already says when an employer is unknown (and what was meant).
            warnings.simplefilter("ignore", UnknownEmployerWarning)
            return main(argv)
    except SystemExit as done:  # argparse and explicit exits keep their code
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Nothing more can be said to a closed pipe: what is still buffered goes to
        # /dev/null, so flushing at exit raises no second error.
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stdout.fileno())
        except (OSError, AttributeError, ValueError):
            pass
        return 0
    except Exception as error:  # noqa: BLE001 - the last line of defence against a traceback
        message = str(error).splitlines()[0] if str(error) else ""
        print(f"error: {type(error).__name__}: {message}", file=sys.stderr)
        return 2
