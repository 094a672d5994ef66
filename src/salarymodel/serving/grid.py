"""The years grid a model is served on.

Numpy only: serving imports this module, so it must stay light.
"""

from __future__ import annotations

import numpy as np

from ..data.levels import MAX_YEARS

__all__ = ["GRID_STEP", "YEARS_GRID", "GRID_SIZE", "SNAP"]

# Years grid on which the median is made non-decreasing and the model is served.
GRID_STEP = 0.05
YEARS_GRID = np.linspace(0.0, MAX_YEARS, int(round(MAX_YEARS / GRID_STEP)) + 1)
GRID_SIZE = len(YEARS_GRID)
# Years that are a grid point up to float error (3.0 / 0.05 = 59.999...) snap to it.
SNAP = 1e-9
