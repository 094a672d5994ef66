"""Where model folders live and what their files are called (defined once)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "default_model_dir",
    "shipped_model_dir",
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


# The project's own model folder (Cookiecutter layout), relative to where you run.
PROJECT_MODEL_DIR = Path("models")


def shipped_model_dir() -> Path:
    """The default model that ships inside the package (its serving file and card:
    trained from the shipped figures with seed 0, read only, never written)."""
    from importlib.resources import files

    return Path(str(files("salarymodel.serving") / "shipped_model"))


def default_model_dir() -> Path:
    """The folder whose model answers when none is given, by the one rule
    that ``predict()`` and every command follow:

    1. ``$SALARYMODEL_MODEL_DIR``, if set (trained there on first use when empty);
    2. else ``./models``, if it holds a model (its card);
    3. else the model shipped in the package (:func:`shipped_model_dir`);
    4. else (a package without it) a per-user cache folder
       (``$XDG_CACHE_HOME/salarymodel`` or ``~/.cache/salarymodel``), keyed
       by the package version so an upgrade never serves a stale model;
       trained there on first use.

    (A folder given explicitly, ``model=``/``--model``, comes before all of them.)
    """
    from ... import __version__

    explicit = os.environ.get(MODEL_DIR_ENV)
    if explicit:
        return Path(explicit)
    if (PROJECT_MODEL_DIR / CARD_FILE).is_file():
        return PROJECT_MODEL_DIR
    if (shipped_model_dir() / CARD_FILE).is_file():
        return shipped_model_dir()
    cache_root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_root) / "salarymodel" / f"default-{__version__}"
