"""Where model folders live and what their files are called (defined once)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "default_model_dir",
    "CARD_FILE",
    "CARD_MARKDOWN_FILE",
    "TRAINING_SET_FILE",
    "CACHE_MARKER",
]

CARD_FILE = "salary_model.json"
CARD_MARKDOWN_FILE = "salary_model.md"
TRAINING_SET_FILE = "training_set.csv"

# Marks a default-model folder the package created itself: only such a
# folder is ever rebuilt without being asked.
CACHE_MARKER = ".salarymodel-cache"

# Environment variable that points the module-level API at a model folder.
MODEL_DIR_ENV = "SALARYMODEL_MODEL_DIR"


def default_model_dir() -> Path:
    """Folder of the default model used by :func:`salarymodel.predict`.

    ``$SALARYMODEL_MODEL_DIR`` wins; otherwise a per-user cache folder
    (``$XDG_CACHE_HOME/salarymodel`` or ``~/.cache/salarymodel``), keyed by
    the package version so an upgrade never serves a stale model.
    """
    from .. import __version__

    explicit = os.environ.get(MODEL_DIR_ENV)
    if explicit:
        return Path(explicit)
    cache_root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_root) / "salarymodel" / f"default-{__version__}"
