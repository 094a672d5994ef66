"""Experience levels: the bounds of the years axis and the levels that partition it.

Numpy only: serving reads levels on the hot path of ``predict``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MAX_YEARS", "PARTITION_LEVELS", "level_for_years", "levels_for_years", "sample_years"]

# Years of experience a model accepts, [0, MAX_YEARS].
MAX_YEARS = 50.0

# Levels that partition the years axis; "late" and "all" are source buckets.
PARTITION_LEVELS = ("entry", "mid", "senior", "lead")


def level_for_years(years: float, edges: tuple[float, ...]) -> str:
    """Name the partition level (entry/mid/senior/lead) that ``years`` falls in.

    ``edges`` comes from :func:`salarymodel.data.figures.level_edges`; a plain
    loop, as it runs on the hot path of ``predict``.
    """
    for edge, name in zip(edges, PARTITION_LEVELS):
        if years < edge:
            return name
    return PARTITION_LEVELS[-1]


def levels_for_years(years: np.ndarray, edges: tuple[float, ...]) -> np.ndarray:
    """Vectorised :func:`level_for_years`."""
    return np.asarray(PARTITION_LEVELS, dtype=object)[np.searchsorted(edges, years, side="right")]


def sample_years(
    level: str, years_min: float, years_max: float, levels: pd.DataFrame, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Years of experience of ``n`` engineers of a figure's cell: uniform in its range;
    an 'all' cell mixes the partition levels by their ``share_of_all``.

    ``levels`` is the level table (:func:`salarymodel.data.figures.load_levels`).
    """
    if level != "all":
        return rng.uniform(years_min, years_max, n)
    table = levels.loc[list(PARTITION_LEVELS)]
    shares, lows, highs = (table[c].to_numpy(float) for c in ("share_of_all", "years_min", "years_max"))
    which = rng.choice(len(PARTITION_LEVELS), size=n, p=shares)
    years: np.ndarray = rng.uniform(lows[which], highs[which])
    return years
