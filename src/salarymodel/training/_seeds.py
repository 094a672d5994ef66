"""Random streams that belong to one country each.

A country's draws are seeded by the run's seed and its own ISO code, never
by its position among the countries: adding another country's figures
leaves every other country's random numbers, and so its estimates, as
they were.
"""

from __future__ import annotations

import numpy as np

__all__ = ["country_rng"]


def country_rng(seed: int, country: str, purpose: int = 0) -> np.random.Generator:
    """A generator for ``country`` (ISO code) under ``seed``; ``purpose`` separates streams."""
    return np.random.default_rng([int(seed), int.from_bytes(str(country).encode("utf-8"), "big"), int(purpose)])
