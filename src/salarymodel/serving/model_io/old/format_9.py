"""Format 9: one within-market scale for both sides of the median.

Format 10 added ``scale_high``, the scale above the median; a format-9
file meant the same scale on both sides, which is what a ``scale_high``
equal to ``scale`` means. Then it is a format-10 file.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import format_10

__all__ = ["MEMBERS", "upgrade"]

MEMBERS: frozenset[str] = format_10.MEMBERS - {"scale_high"}


def upgrade(arrays: dict[str, np.ndarray], document: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Format-9 tables and document as the current format holds them."""
    return format_10.upgrade({**arrays, "scale_high": arrays["scale"]}, document)
