"""The years axis a model is served on, and the levels that partition it.

Numpy only: serving imports this module, so it must stay light.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_YEARS", "GRID_STEP", "YEARS_GRID", "GRID_SIZE", "SNAP", "PARTITION_LEVELS", "level_for_years",
           "levels_for_years"]

MAX_YEARS = 50.0
# Years grid on which the median is made non-decreasing and the model is served.
GRID_STEP = 0.05
YEARS_GRID = np.linspace(0.0, MAX_YEARS, int(round(MAX_YEARS / GRID_STEP)) + 1)
GRID_SIZE = len(YEARS_GRID)
# Years that are a grid point up to float error (3.0 / 0.05 = 59.999...) snap to it.
SNAP = 1e-9

# Levels that partition the years axis; "late" and "all" are source buckets.
PARTITION_LEVELS = ("entry", "mid", "senior", "lead")


def level_for_years(years: float, edges: tuple[float, ...]) -> str:
    """Name the partition level (entry/mid/senior/lead) that ``years`` falls in.

    ``edges`` comes from :func:`salarymodel.figures.level_edges`; a plain
    loop, as it runs on the hot path of ``predict``.
    """
    for edge, name in zip(edges, PARTITION_LEVELS):
        if years < edge:
            return name
    return PARTITION_LEVELS[-1]


def levels_for_years(years: np.ndarray, edges: tuple[float, ...]) -> np.ndarray:
    """Vectorised :func:`level_for_years`."""
    return np.asarray(PARTITION_LEVELS, dtype=object)[np.searchsorted(edges, years, side="right")]
