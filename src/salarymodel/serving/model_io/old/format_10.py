"""Format 10: the tables of format 11 without populations.

A format-10 document has no ``populations`` field, which the current record
reads as none: the tables and document pass unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["MISSING_TABLES", "upgrade"]

# Tables the current format has and this one lacks.
MISSING_TABLES: frozenset[str] = frozenset()


def upgrade(arrays: dict[str, np.ndarray], document: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Format-10 tables and document as format 11 holds them (no populations)."""
    return arrays, document
