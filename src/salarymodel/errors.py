"""Exceptions raised by salarymodel."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence

__all__ = [
    "ParameterError",
    "ParameterTypeError",
    "FiguresError",
    "UnknownCountryError",
    "ModelIntegrityError",
    "ModelVersionError",
    "ModelSwitchedError",
    "UnknownEmployerWarning",
    "warn_unknown_employer",
]


class FiguresError(ValueError):
    """A figures file failed validation.

    Parameters
    ----------
    path : str
        The file that was read.
    problems : sequence of str
        One readable line per problem, each naming row, column and value.
    """

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in figures file {path}:\n{lines}")


class ParameterError(ValueError):
    """A parameter's value is malformed or out of range.

    Parameters
    ----------
    parameter : str
        The parameter's name as the function takes it ('years', 'country'):
        the web API names it in its answer, the command line maps it to its
        option.
    message : str
        What is wrong and how to fix it.
    """

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class ParameterTypeError(TypeError):
    """A parameter has the wrong type; ``parameter`` names it (see :class:`ParameterError`)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class UnknownCountryError(ParameterError):
    """The model has no data for the requested country."""

    def __init__(self, given: object, known: Sequence[str], reason: str = "", suggestion: str | None = None) -> None:
        self.given = given
        self.known = list(known)
        self.suggestion = suggestion
        detail = f" ({reason})" if reason else ""
        hint = f" Did you mean {suggestion!r}?" if suggestion else ""
        super().__init__(
            "country",
            f"The 'country' parameter got {given!r}{detail}.{hint} The model has data for "
            f"{', '.join(self.known)}. Pass one of these (name or ISO code), or train "
            "with your own figures for that country (--figures).",
        )


class ModelIntegrityError(RuntimeError):
    """A model file does not match its model card, or the card is unreadable."""


class ModelVersionError(RuntimeError):
    """A model file was written by an incompatible library or format version."""


class ModelSwitchedError(OSError):
    """The new model version is in place (its card names it), but a step after
    the switch (the Markdown card) could not be written."""


class UnknownEmployerWarning(UserWarning):
    """An employer the model has no figures for in that country: the answer is the market's."""


# Modules whose frames a warning skips, so that it points at the caller's own line.
_LIBRARY_MODULES = ("salarymodel.serving", "salarymodel.api")
# Callers whose answers already say when an employer is unknown: no warning repeats it.
_SAYS_SO_ITSELF = ("salarymodel.cli", "salarymodel.web")


def warn_unknown_employer(company: str, country_name: str, suggestion: str | None) -> None:
    """Warn that ``company`` is unknown in ``country_name`` (naming the likely typo's fix).

    Not raised for the command line and the web app: their answers say so.
    """
    hint = f" Did you mean {suggestion!r}?" if suggestion else ""
    frame, level = sys._getframe(1), 2
    while frame.f_back is not None and str(frame.f_globals.get("__name__", "")).startswith(_LIBRARY_MODULES):
        frame, level = frame.f_back, level + 1
    if str(frame.f_globals.get("__name__", "")).startswith(_SAYS_SO_ITSELF):
        return
    warnings.warn(
        f"The model has no figures for the employer {company!r} in {country_name}: the estimate is the "
        f"market's (company_known=False).{hint}",
        UnknownEmployerWarning,
        stacklevel=level,
    )
