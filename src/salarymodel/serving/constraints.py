"""The numbers a caller sets, declared once: each parameter's interval and words.

A parameter's constraint (scikit-learn's ``Interval`` habit) says what kind of
number it takes, its bounds and how to say so. :meth:`Interval.check` is the
one validation every surface runs: the Python API calls it, the command line
adds the option's name to its error (:func:`salarymodel.cli.options.with_option`),
the web answers its error with a 422 naming the parameter. The model file's
schema (:mod:`.model_io.schema`) declares its numbers with the same bounds
(:class:`Between`, which an :class:`Interval` holds its values to). Every
refusal, of a parameter or of a field of a model file, is worded by
:func:`must_be`.

Numpy and the standard library only: serving imports this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from ..data.levels import MAX_YEARS
from ..errors import ParameterError, ParameterTypeError

__all__ = [
    "Between",
    "Interval",
    "must_be",
    "parameter_message",
    "shown",
    "CONFIDENCE",
    "AGING_RATE",
    "YEARS",
    "SALARY",
    "ROWS_PER_COUNTRY",
    "SEED",
]

_NUMBERS = (int, float, np.integer, np.floating)


def shown(value: object, limit: int = 80) -> str:
    """A value as an error message quotes it: its repr, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def must_be(subject: str, rule: str, got: str, *, found: str | None = None) -> str:
    """The one wording of every refusal: what ``subject`` must be, and what it got
    (``got``, a value as :func:`shown` quotes it) or, when more precise, what is wrong
    with it (``found``: 'item 3 is nan')."""
    return f"{subject} must be {rule}, but {found}." if found else f"{subject} must be {rule}. Got {got} instead."


def parameter_message(name: str, owner: str | None, rule: str, value: str) -> str:
    """A refused parameter's message: its name and the function it was given to."""
    of = f" of {owner}" if owner else ""
    return must_be(f"The '{name}' parameter{of}", rule, value)


@dataclass(frozen=True)
class Between:
    """A finite number in ``[low, high]`` (an end excluded when ``low_open`` /
    ``high_open``)."""

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    rule: str | None = None

    def holds(self, values: np.ndarray | float) -> bool:
        """Whether every value is finite and within the bounds (numpy or a number)."""
        if isinstance(values, float):  # one value: plain comparisons, no array
            return (
                math.isfinite(values)
                and (values > self.low if self.low_open else values >= self.low)
                and (values < self.high if self.high_open else values <= self.high)
            )
        values = np.asarray(values, dtype=float)
        above = values > self.low if self.low_open else values >= self.low
        below = values < self.high if self.high_open else values <= self.high
        return bool((np.isfinite(values) & above & below).all())

    def words(self) -> str:
        if self.rule:
            return self.rule
        if math.isinf(self.low) and math.isinf(self.high):
            return "finite"
        if math.isinf(self.high):
            return f"{'above' if self.low_open else 'at least'} {self.low:g}"
        if math.isinf(self.low):
            return f"{'below' if self.high_open else 'at most'} {self.high:g}"
        return f"in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"


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

    @property
    def bounds(self) -> Between:
        """The interval's bounds, as the model file's schema declares its numbers."""
        return Between(
            self.low, self.high, low_open=self.closed in ("neither", "right"), high_open=self.closed in ("neither", "left")
        )

    def holds(self, value: float) -> bool:
        """Whether a number lies in the interval (NaN and infinity never do)."""
        return self.bounds.holds(float(value))

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
