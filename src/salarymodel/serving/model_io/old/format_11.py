"""Format 11: the tables of format 12, wage indices without ``growth_sd``.

A format-11 document's wage indices have no ``growth_sd``, which the current
record reads as 0: such a model ages without the real growth's uncertainty
(the projection's, read off the index itself, still widens its median's
interval). The tables and document pass unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["MISSING_TABLES", "upgrade"]

# Tables the current format has and this one lacks.
MISSING_TABLES: frozenset[str] = frozenset()


def upgrade(arrays: dict[str, np.ndarray], document: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Format-11 tables and document as format 12 holds them (no real-growth sd)."""
    return arrays, document
