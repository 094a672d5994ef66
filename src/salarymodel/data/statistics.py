"""What a reported figure's statistic is: one class per kind.

A salary site reports a mean, a percentile (the median is the 50th), a
range that covers a share of salaries, or the lowest or highest of several
sites' values. Each kind is one class that declares everything the package
needs to know about it:

* how a figures file names it (:meth:`StatisticKind.parse`) and whether it
  has a high end and a coverage (:attr:`StatisticKind.spans`);
* its value on a sample of pay (:meth:`StatisticKind.value_on`: the model's
  fidelity to the figure);
* the normal-score points it gives a lognormal read straight off the
  figures (:meth:`StatisticKind.normal_points`: the no-model baselines);
* its term in the measurement model: the statistic as a function of its
  source's view of the cell (:meth:`StatisticKind.predicted`, written for
  any array namespace, so numpy and JAX read the same formula);
* how close the model must come for the figure to count as reproduced
  (:attr:`StatisticKind.tolerance`), and its words in messages.

Adding a kind is one class passed to :func:`register` (and its tests).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import ndtri

__all__ = [
    "CellView",
    "StatisticKind",
    "Mean",
    "Quantile",
    "Range",
    "OrderOfSites",
    "KINDS",
    "register",
    "statistic_kind",
    "kind_of",
    "spans_of",
    "figure_points",
    "kind_words",
    "sorted_quantile",
    "LOCATION_TOLERANCE",
    "SPREAD_TOLERANCE",
]

# A figure counts as reproduced when the model's value is within 10% for a location
# (a mean, a median), within 15% for a spread statistic (a percentile other than the
# median, a range's ends): the model's percentiles are one engineer's, so they include
# the median's uncertainty, which one source's own spread does not.
LOCATION_TOLERANCE = 0.10
SPREAD_TOLERANCE = 0.15


@dataclass(frozen=True)
class CellView:
    """A source's view of a figure's cell, as the measurement model computes it
    (arrays over figures, numpy or JAX).

    Attributes
    ----------
    log_mean : array
        Log of the mean pay.
    centre, width : array
        Mean and standard deviation of log pay.
    z : array
        Each figure's own normal score (a percentile's; 0 for the others).
    half : array
        Each figure's half-width in normal scores (a range's; 0.67 for the others).
    order_shift : array
        The expected offset of a ranked site (lowest/highest of k) in log pay.
    """

    log_mean: Any
    centre: Any
    width: Any
    z: Any
    half: Any
    order_shift: Any


def sorted_quantile(sorted_sample: np.ndarray, levels: list[float]) -> np.ndarray:
    """``np.quantile`` (linear) of an already sorted sample, reading only each level's neighbours."""
    positions = np.asarray(levels, dtype=float) * (len(sorted_sample) - 1)
    below = np.floor(positions).astype(int)
    above = np.minimum(below + 1, len(sorted_sample) - 1)
    return np.asarray(sorted_sample[below] + (positions - below) * (sorted_sample[above] - sorted_sample[below]))


class StatisticKind:
    """One kind of reported statistic; an instance is one figure's (``Quantile('p25')``).

    Subclasses set :attr:`words` and override :meth:`parse`, :meth:`predicted`,
    :meth:`value_on` and :meth:`normal_points`; :attr:`code` is given by :func:`register`.
    """

    code: ClassVar[int] = -1
    words: ClassVar[str] = ""
    spans: ClassVar[bool] = False  # a high end and a coverage (a range)
    location_only: ClassVar[bool] = False  # says where pay sits, not how it spreads (a mean)
    tolerance: float = SPREAD_TOLERANCE

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r})"

    @classmethod
    def parse(cls, text: str) -> StatisticKind | None:
        """This kind's reading of a ``statistic`` cell, or None if it names another kind."""
        raise NotImplementedError

    @property
    def z(self) -> float:
        """The statistic's normal score in its cell (a percentile's); 0 for the others."""
        return 0.0

    @staticmethod
    def predicted(cell: CellView) -> Any:
        """The statistic (its low end, for a range) in log pay, from its source's view of the cell."""
        raise NotImplementedError

    @staticmethod
    def predicted_high(cell: CellView) -> Any:
        """A spanning statistic's high end in log pay (only kinds that :attr:`spans`)."""
        raise NotImplementedError

    def value_on(self, sorted_sample: np.ndarray, coverage: float) -> tuple[float, float]:
        """The statistic on a sample of pay sorted ascending: (value, a range's high end or NaN)."""
        raise NotImplementedError

    def normal_points(self, value: float, high: float, coverage: float) -> list[tuple[float, float]]:
        """(normal score, log pay) points the figure pins down in a lognormal cell; none for a location only."""
        return []


KINDS: list[type[StatisticKind]] = []


def register(kind: type[StatisticKind]) -> type[StatisticKind]:
    """Make ``kind`` one the package reads, trains with and checks (its code is its place)."""
    if kind not in KINDS:
        kind.code = len(KINDS)
        KINDS.append(kind)
    return kind


@register
class Mean(StatisticKind):
    """An average of salaries (of its source's sample)."""

    words = "mean"
    location_only = True
    tolerance = LOCATION_TOLERANCE

    @classmethod
    def parse(cls, text: str) -> StatisticKind | None:
        return cls(text) if text == "mean" else None

    @staticmethod
    def predicted(cell: CellView) -> Any:
        return cell.log_mean

    def value_on(self, sorted_sample: np.ndarray, coverage: float) -> tuple[float, float]:
        return float(sorted_sample.mean()), float("nan")


_PERCENTILE = re.compile(r"^p([1-9][0-9]?)$")


@register
class Quantile(StatisticKind):
    """A percentile of salaries: ``median`` or ``p1`` .. ``p99``."""

    words = "median, a percentile p1..p99"

    def __init__(self, text: str, level: float) -> None:
        super().__init__(text)
        self.level = level
        self.tolerance = LOCATION_TOLERANCE if level == 0.5 else SPREAD_TOLERANCE

    @classmethod
    def parse(cls, text: str) -> StatisticKind | None:
        if text == "median":
            return cls(text, 0.5)
        match = _PERCENTILE.match(text)
        return cls(text, int(match.group(1)) / 100.0) if match else None

    @property
    def z(self) -> float:
        return float(ndtri(self.level))

    @staticmethod
    def predicted(cell: CellView) -> Any:
        return cell.centre + cell.width * cell.z

    def value_on(self, sorted_sample: np.ndarray, coverage: float) -> tuple[float, float]:
        return float(sorted_quantile(sorted_sample, [self.level])[0]), float("nan")

    def normal_points(self, value: float, high: float, coverage: float) -> list[tuple[float, float]]:
        return [(self.z, float(np.log(value)))]


@register
class Range(StatisticKind):
    """A range of salaries (``value`` to ``value_high``) covering a share of them (``coverage``)."""

    words = "range"
    spans = True

    @classmethod
    def parse(cls, text: str) -> StatisticKind | None:
        return cls(text) if text == "range" else None

    @staticmethod
    def predicted(cell: CellView) -> Any:
        return cell.centre - cell.width * cell.half

    @staticmethod
    def predicted_high(cell: CellView) -> Any:
        """The range's high end in log pay."""
        return cell.centre + cell.width * cell.half

    def value_on(self, sorted_sample: np.ndarray, coverage: float) -> tuple[float, float]:
        tail = (1 - coverage) / 2
        low, high = sorted_quantile(sorted_sample, [tail, 1 - tail])
        return float(low), float(high)

    def normal_points(self, value: float, high: float, coverage: float) -> list[tuple[float, float]]:
        tail = (1 - coverage) / 2
        return [(float(ndtri(tail)), float(np.log(value))), (float(ndtri(1 - tail)), float(np.log(high)))]


@register
class OrderOfSites(Mean):
    """The lowest or highest of several sites' means (a figure with a ``group_rank``):
    read as that order statistic of the sites' offsets, never named by ``statistic``."""

    words = "mean ranked among sites (group_rank)"

    @classmethod
    def parse(cls, text: str) -> StatisticKind | None:
        return None

    @staticmethod
    def predicted(cell: CellView) -> Any:
        return cell.log_mean + cell.order_shift


def statistic_kind(text: str, ranked: bool = False) -> StatisticKind | None:
    """The kind a ``statistic`` cell names (an :class:`OrderOfSites` when ``ranked``), or None."""
    for kind in KINDS:
        found = kind.parse(text)
        if found is not None:
            return OrderOfSites(text) if ranked else found
    return None


def kind_of(text: str, ranked: bool = False) -> StatisticKind:
    """The kind of a loaded figure's statistic (the loader admits only those a kind reads)."""
    kind = statistic_kind(text, ranked)
    if kind is None:
        raise ValueError(f"A statistic no kind reads: {text!r}; load figures through load_figures.")
    return kind


def spans_of(codes: Any) -> np.ndarray:
    """Which statistics, by kind code, have a high end as well (a range)."""
    return np.array([KINDS[code].spans for code in np.atleast_1d(codes)], dtype=bool)


def figure_points(row: Any) -> list[tuple[float, float]]:
    """The (normal score, log pay) points one normalised figure row pins down (reference USD)."""
    return kind_of(str(row["statistic"])).normal_points(
        float(row["value_usd"]), float(row.get("value_high_usd", np.nan)), float(row.get("coverage", 0.5))
    )


def kind_words() -> str:
    """How a figures file names the statistics it may hold, for messages."""
    named = [kind.words for kind in KINDS if kind is not OrderOfSites]
    return ", ".join(named[:-1]) + " or " + named[-1]
