"""The years grid a model is served on.

Numpy only: serving imports this module, so it must stay light.
"""

from __future__ import annotations

from typing import overload

import numpy as np

from ..data.levels import MAX_YEARS

__all__ = [
    "GRID_STEP",
    "YEARS_GRID",
    "GRID_SIZE",
    "QUANTILE_YEARS",
    "SNAP",
    "grid_index",
    "grid_position",
    "interpolate",
    "onto_grid",
]

# Years grid on which the median is made non-decreasing and the model is served.
GRID_STEP = 0.05
YEARS_GRID = np.linspace(0.0, MAX_YEARS, int(round(MAX_YEARS / GRID_STEP)) + 1)
GRID_SIZE = len(YEARS_GRID)
# Years at which a model's quantile tables are kept (every half year): the posterior's
# curves bend only at whole years, so the grid between them is read by interpolation.
QUANTILE_YEARS = np.linspace(0.0, MAX_YEARS, int(round(2 * MAX_YEARS)) + 1)
_BELOW = np.minimum(np.searchsorted(QUANTILE_YEARS, YEARS_GRID, side="right") - 1, len(QUANTILE_YEARS) - 2)
_WEIGHT = (YEARS_GRID - QUANTILE_YEARS[_BELOW]) / (QUANTILE_YEARS[_BELOW + 1] - QUANTILE_YEARS[_BELOW])
# Years that are a grid point up to float error (3.0 / 0.05 = 59.999...) snap to it.
SNAP = 1e-9


@overload
def grid_index(years: float) -> int: ...
@overload
def grid_index(years: np.ndarray) -> np.ndarray: ...
def grid_index(years: float | np.ndarray) -> int | np.ndarray:
    """The grid point at or below ``years`` (a float or an array): where support,
    sources and the level are read: :func:`grid_position`'s lower point, or the last
    point when ``years`` is on it."""
    i, f = grid_position(years)
    return i + (f >= 1.0)


@overload
def grid_position(years: float) -> tuple[int, float]: ...
@overload
def grid_position(years: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...
def grid_position(years: float | np.ndarray) -> tuple[int, float] | tuple[np.ndarray, np.ndarray]:
    """Where ``years`` falls on the grid: the lower point ``i`` and the weight ``f`` of the
    next, so that a row's value there is ``row[i] + f * (row[i + 1] - row[i])``.

    The one place the grid is interpolated: :meth:`SalaryModel.predict` (a float, in
    plain Python: the hot path), the batch (an array), ranges and rank. ``years``
    must lie in [0, MAX_YEARS]; a value within :data:`SNAP` of a grid point reads
    that point. At the last point ``i`` is the one before it and ``f`` is 1.

    Parameters
    ----------
    years : float or ndarray

    Returns
    -------
    (i, f) : (int, float) or (ndarray of int64, ndarray of float)
    """
    if type(years) is float:
        position = years / GRID_STEP
        i = int(position + SNAP)
        if i > GRID_SIZE - 2:
            i = GRID_SIZE - 2
        return i, position - i
    positions = np.asarray(years, dtype=float) / GRID_STEP
    index = np.minimum((positions + SNAP).astype(np.int64), GRID_SIZE - 2)
    return index, positions - index


def interpolate(row: np.ndarray, years: float | np.ndarray) -> np.ndarray:
    """A table row (or the last axis of an array of rows) read at ``years`` (see :func:`grid_position`)."""
    i, f = grid_position(years)
    lower = row[..., i]
    return np.asarray(lower + f * (row[..., i + 1] - lower))


def onto_grid(values: np.ndarray) -> np.ndarray:
    """Rows of values at :data:`QUANTILE_YEARS` (shape (..., len(QUANTILE_YEARS)))
    interpolated linearly onto :data:`YEARS_GRID` (shape (..., GRID_SIZE))."""
    result: np.ndarray = values[..., _BELOW] * (1.0 - _WEIGHT) + values[..., _BELOW + 1] * _WEIGHT
    return result
