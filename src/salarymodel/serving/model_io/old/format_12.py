"""Format 12: the two-piece predictive form, read into format 13's quantile tables.

A format-12 file served each row as ``centre + scale * (S + r Z)``: a
within-market score shape ``S`` per country (``shapes``, over ratios ``r``
and normal-score levels), the median's uncertainty as ratios to the scale
below and above the median (``ratio_low``, ``ratio_high``) and a scale for
each side (``scale``, ``scale_high``). Reading every level of
:data:`~salarymodel.serving.bands.Z_GRID` from that form at every point of
:data:`~salarymodel.serving.grid.QUANTILE_YEARS` gives the quantile tables
format 13 keeps; the median and its interval pass unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...bands import Z_GRID
from ...grid import GRID_SIZE, QUANTILE_YEARS, YEARS_GRID
from ..schema import FieldError

__all__ = ["MEMBERS", "upgrade"]

MEMBERS: frozenset[str] = frozenset(
    {
        "centre",
        "scale",
        "scale_high",
        "ratio_low",
        "ratio_high",
        "shapes",
        "median",
        "median_low",
        "median_high",
        "support",
        "source",
        "fx_rates",
        "meta_json",
    }
)
# The ratios of the shape tables: the median's sd over the within-market scale.
_R_STEP = 0.1
_R_POINTS = 81
# The serving grid's points at the quantile tables' years.
_POINTS = np.searchsorted(YEARS_GRID, QUANTILE_YEARS - 1e-9)


def _level_rows(z_index: int, arrays: dict[str, np.ndarray], row_country: np.ndarray, median: np.ndarray) -> np.ndarray:
    """Every row's log pay at normal score ``Z_GRID[z_index]`` on the years grid, as format 12 served it."""
    above = Z_GRID[z_index] > 0
    ratio = arrays["ratio_high" if above else "ratio_low"]
    scale = arrays["scale_high" if above else "scale"]
    u = np.clip(ratio / _R_STEP, 0.0, _R_POINTS - 1.0)
    i = np.minimum(u.astype(np.int64), _R_POINTS - 2)
    h = u - i
    by_row = arrays["shapes"][:, :, z_index][row_country]  # (rows, ratios)
    s = np.take_along_axis(by_row, i, axis=1) * (1.0 - h) + np.take_along_axis(by_row, i + 1, axis=1) * h
    rows = np.maximum.accumulate(arrays["centre"] + scale * s, axis=1)
    return np.maximum(rows, median) if above else rows


def upgrade(arrays: dict[str, np.ndarray], document: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Format-12 tables and document as format 13 holds them.

    Raises
    ------
    FieldError
        Tables of other shapes than the document's cells, or not finite.
    """
    try:
        countries = list(document["countries"])
        cells = [tuple(cell) for cell in document["cells"]]
        row_cells = [country for country, _ in cells] + [cells[cell][0] for _, cell in document.get("populations", [])]
        row_country = np.array([countries.index(country) for country in row_cells], dtype=np.int64)
    except (KeyError, TypeError, ValueError, IndexError):
        raise FieldError("cells", "cells of the document's countries", None, found="the format-12 document has none") from None
    for name in MEMBERS - {"shapes", "fx_rates", "meta_json"}:
        table = arrays[name]
        if table.shape != (len(row_cells), GRID_SIZE) or not np.isfinite(table).all():
            raise FieldError(
                name, f"a finite table of shape ({len(row_cells)}, {GRID_SIZE})", None, found=f"it has shape {table.shape}"
            )
    if arrays["shapes"].shape != (len(countries), _R_POINTS, len(Z_GRID)) or not np.isfinite(arrays["shapes"]).all():
        shape = arrays["shapes"].shape
        raise FieldError(
            "shapes",
            f"a finite table of shape ({len(countries)}, {_R_POINTS}, {len(Z_GRID)})",
            None,
            found=f"it has shape {shape}",
        )
    median = arrays["median"]
    quantiles = np.stack([_level_rows(k, arrays, row_country, median)[:, _POINTS] for k in range(len(Z_GRID))], axis=2)
    replaced = {"centre", "scale", "scale_high", "ratio_low", "ratio_high", "shapes"}
    kept = {name: table for name, table in arrays.items() if name not in replaced}
    return {**kept, "quantiles": np.maximum.accumulate(quantiles, axis=2)}, document
