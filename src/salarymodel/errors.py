"""Exceptions raised by salarymodel."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ParameterError",
    "ParameterTypeError",
    "FiguresError",
    "UnknownCountryError",
    "ModelIntegrityError",
    "ModelVersionError",
    "ModelSwitchedError",
    "ModelTooLargeError",
    "UnknownEmployerWarning",
]


class FiguresError(ValueError):
    """A figures file failed validation.

    Parameters
    ----------
    path : str
        The file that was read.
    problems : sequence of str
        One readable line per problem, each naming row, column and value.
    kind : str, default="figures"
        What the file holds ("figures", "records"), for the message.
    """

    # Problems a message lists: a file of 100,000 bad rows gets a readable message.
    SHOWN = 20

    def __init__(self, path: str, problems: Sequence[str], kind: str = "figures") -> None:
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems[: self.SHOWN])
        more = len(self.problems) - self.SHOWN
        if more > 0:
            lines += f"\n  - and {more:,} more problem(s) like these"
        super().__init__(f"{len(self.problems):,} problem(s) in {kind} file {path}:\n{lines}")


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


class ModelTooLargeError(ValueError):
    """A trained model would exceed what the loader reads: it is not written, and the
    folder keeps its previous model."""


class ModelSwitchedError(OSError):
    """The new model version is in place (its card names it), but a step after
    the switch (the Markdown card) could not be written."""


class UnknownEmployerWarning(UserWarning):
    """An employer the model has no figures for in that country: the answer is the market's."""
