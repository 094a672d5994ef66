"""The numbers a caller sets, declared once: each parameter's interval and words.

A parameter's constraint (scikit-learn's ``Interval`` habit) says what kind of
number it takes, its bounds and how to say so. :meth:`Interval.check` is the
one validation every surface runs: the Python API calls it, the command line
adds the option's name to its error (:func:`salarymodel.cli.options.with_option`),
the web answers its error with a 422 naming the parameter. Every refusal is
worded by :func:`parameter_message`.

Numpy and the standard library only: serving imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from ..data.levels import MAX_YEARS
from ..errors import ParameterError, ParameterTypeError
from .model_io.schema import shown

__all__ = [
    "Interval",
    "parameter_message",
    "CONFIDENCE",
    "AGING_RATE",
    "YEARS",
    "SALARY",
    "ROWS_PER_COUNTRY",
    "SEED",
]

_NUMBERS = (int, float, np.integer, np.floating)


def parameter_message(name: str, owner: str | None, rule: str, value: str) -> str:
    """The one wording of a refused parameter: what it must be, and what it got."""
    of = f" of {owner}" if owner else ""
    return f"The '{name}' parameter{of} must be {rule}. Got {value} instead."


@dataclass(frozen=True)
class Interval:
    """A real (or whole) number between two bounds.

    Parameters
    ----------
    name : str
        The parameter's name, as every surface calls it.
    low, high : float
        Its bounds.
    closed : {"both", "neither", "left", "right"}
        Which bounds it may take.
    rule : str
        What it must be, in words ("a float in (0, 1)").
    whole : bool, default=False
        Whole numbers only (a count, a seed).
    type_rule : str, default=None
        What the refusal of a value that is no number says, raised as a
        :class:`~salarymodel.errors.ParameterTypeError` naming the value's type;
        None refuses it with :attr:`rule`, as a :class:`~salarymodel.errors.ParameterError`.
    """

    name: str
    low: float
    high: float
    closed: Literal["both", "neither", "left", "right"]
    rule: str
    whole: bool = False
    type_rule: str | None = None

    def renamed(self, name: str) -> Interval:
        """The same constraint on a parameter of another name (a percentile given as ``target``)."""
        return replace(self, name=name)

    def holds(self, value: float) -> bool:
        """Whether a number lies in the interval (NaN never does)."""
        above = value >= self.low if self.closed in ("both", "left") else value > self.low
        below = value <= self.high if self.closed in ("both", "right") else value < self.high
        return above and below

    def refusal(self, value: object, owner: str | None) -> ParameterError:
        """The error naming this parameter, its rule and ``value``."""
        return ParameterError(self.name, parameter_message(self.name, owner, self.rule, shown(value, 40)))

    def check(self, value: object, owner: str | None = None) -> float:
        """``value`` as a float if it is a number in the interval (never a bool), else its error.

        Raises
        ------
        ParameterTypeError
            Not a number, when the constraint has a :attr:`type_rule`.
        ParameterError
            Out of the interval, NaN, too large for a float, or (without a
            :attr:`type_rule`) not a number.
        """
        # Bools are ints and numpy's timedelta64 an integer subclass: neither is a number here.
        kinds = (int, np.integer) if self.whole else _NUMBERS
        if isinstance(value, (bool, np.bool_, np.timedelta64)) or not isinstance(value, kinds):
            if self.type_rule is None:
                raise self.refusal(value, owner)
            raise ParameterTypeError(
                self.name,
                parameter_message(self.name, owner, self.type_rule, f"{shown(value, 40)} of type {type(value).__name__}"),
            )
        try:
            number = float(value)
        except OverflowError:  # an int too large for a float
            raise self.refusal(value, owner) from None
        if not self.holds(number):
            raise self.refusal(value, owner)
        return number + 0.0  # -0.0 is 0, and is said so


CONFIDENCE = Interval("confidence", 0.0, 1.0, "neither", "a float in (0, 1)", type_rule="a float in (0, 1)")
AGING_RATE = Interval("aging_rate", -0.5, 1.0, "neither", "an annual rate in (-0.5, 1.0), such as 0.04 for 4% a year")
YEARS = Interval("years", 0.0, MAX_YEARS, "both", f"a finite number of years in [0, {MAX_YEARS:g}]", type_rule="a number")
# From one unit to a trillion: a salary the served tables can place and a sentence can say
# without "0 EUR" or hundreds of digits.
SALARY = Interval(
    "salary", 1.0, 1e12, "both", "an annual base salary from 1 to 1,000,000,000,000 in its currency",
    type_rule="a number (annual base salary)",
)  # fmt: skip
ROWS_PER_COUNTRY = Interval("rows_per_country", 100, 10_000_000, "both", "a whole number from 100 to 10,000,000", whole=True)
SEED = Interval("seed", 0, 2**32 - 1, "both", f"a whole number from 0 to {2**32 - 1:,}", whole=True)
