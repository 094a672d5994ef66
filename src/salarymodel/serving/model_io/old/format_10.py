"""Format 10: the tables of format 11 without populations.

A format-10 document has no ``populations`` field, which the current record
reads as none. Then it is a format-11 file.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import format_11

__all__ = ["MEMBERS", "upgrade"]

MEMBERS: frozenset[str] = format_11.MEMBERS


def upgrade(arrays: dict[str, np.ndarray], document: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Format-10 tables and document as the current format holds them (no populations)."""
    return format_11.upgrade(arrays, document)
