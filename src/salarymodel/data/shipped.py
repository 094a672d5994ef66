"""Where the shipped input tables live.

They are read through :mod:`importlib.resources`, so an installed package
never depends on a source checkout; ``data/raw/`` in the repository is the
same folder (linked into the package as ``salarymodel/data/raw``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["raw_data_file"]


def raw_data_file(name: str) -> Path:
    """Return the path of a shipped raw data file (``data/raw/<name>``)."""
    return Path(str(resources.files("salarymodel.data").joinpath("raw", name)))
