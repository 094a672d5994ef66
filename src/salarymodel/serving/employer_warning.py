"""The warning a Python caller gets when it names an employer the model does not know.

The answer itself says so (``company_known=False``, with a suggestion); the
warning is for code that reads only the numbers. It points at the caller's
line: the frames of this package's own files are skipped (what Python 3.12's
``skip_file_prefixes`` does). Whether a program shows it is that program's
choice: the command line and the web app, whose answers already say it,
ignore it (:func:`salarymodel.cli.prog.run_command`, :func:`salarymodel.web.app.create_app`).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

from ..errors import UnknownEmployerWarning

__all__ = ["warn_unknown_employer"]

_PACKAGE_FILES = str(Path(__file__).resolve().parents[1])


def _caller_level() -> int:
    """``stacklevel`` of the first frame outside this package (counted from the caller of this)."""
    frame, level = sys._getframe(2), 2
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_FILES):
        frame, level = frame.f_back, level + 1
    return level


def warn_unknown_employer(company: str, country_name: str, suggestion: str | None) -> None:
    """Warn that ``company`` is unknown in ``country_name``, naming the likely typo's fix."""
    hint = f" Did you mean {suggestion!r}?" if suggestion else ""
    message = (
        f"The model has no figures for the employer {company!r} in {country_name}: the estimate is the "
        f"market's (company_known=False).{hint}"
    )
    if sys.version_info >= (3, 12):
        warnings.warn(message, UnknownEmployerWarning, skip_file_prefixes=(_PACKAGE_FILES,))
    else:
        warnings.warn(message, UnknownEmployerWarning, stacklevel=_caller_level())
