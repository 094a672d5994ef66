"""Format 11: format 12 with wage indices without ``growth_sd``.

A format-11 document's wage indices have no ``growth_sd``, which the current
record reads as 0: such a model ages without the real growth's uncertainty
(the projection's, read off the index itself, still widens its median's
interval). Then it is a format-12 file.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import format_12

__all__ = ["MEMBERS", "upgrade"]

MEMBERS: frozenset[str] = format_12.MEMBERS


def upgrade(arrays: dict[str, np.ndarray], document: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Format-11 tables and document as the current format holds them (no real-growth sd)."""
    return format_12.upgrade(arrays, document)
