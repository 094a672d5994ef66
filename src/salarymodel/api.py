"""The module-level API: the default model, loaded once, and functions on it."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from .serving.estimate import SalaryEstimate, YearsOfExperience
from .serving.model import SalaryModel

if TYPE_CHECKING:  # the API imports no pandas until a frame is scored
    import pandas as pd

__all__ = [
    "load_model",
    "default_model",
    "predict",
    "predict_frame",
    "percentiles",
    "rank",
    "ranges",
    "curve",
    "explain",
    "known",
]

_default_model: SalaryModel | None = None
_default_lock = threading.Lock()


def load_model(path: str | os.PathLike | None = None) -> SalaryModel:
    """Load a model folder (or its ``.npz`` data file) after auditing it.

    Only plain arrays and JSON are read (never a pickle), and neither
    scikit-learn nor pandas is imported.

    Parameters
    ----------
    path : str or path-like, default=None
        Folder written by ``python -m salarymodel.train --out DIR`` or the
        ``salary_model.npz`` inside it. None gives the default model.

    Returns
    -------
    SalaryModel

    Raises
    ------
    ModelIntegrityError, ModelVersionError
        See :func:`salarymodel.serving.model_io.folder.load_model_folder`.
    """
    if path is None:
        return default_model()
    from .serving.model_io.folder import load_model_folder

    return load_model_folder(path)


def default_model() -> SalaryModel:
    """The default model, loaded once per process (thread-safe).

    It lives in :func:`salarymodel.serving.model_io.paths.default_model_dir`: by
    default the model shipped in the package, which loads in milliseconds.
    In a folder of your own (``SALARYMODEL_MODEL_DIR``) with no model yet, or
    a cache written in another format, one is trained from the shipped
    figures and saved there first.
    """
    global _default_model
    model = _default_model
    if model is None:
        with _default_lock:
            if _default_model is None:
                _default_model = _load_or_train_default()
            model = _default_model
    return model


def _load_or_train_default() -> SalaryModel:
    from .errors import ModelIntegrityError, ModelVersionError
    from .serving.model_io.paths import CACHE_MARKER, CARD_FILE, default_model_dir, shipped_model_dir

    folder = default_model_dir()
    if folder == shipped_model_dir():  # read only: it is loaded, never trained into or rebuilt
        return load_model(folder)
    ours = (folder / CACHE_MARKER).is_file()
    if (folder / CARD_FILE).exists():
        try:
            return load_model(folder)
        except (ModelVersionError, ModelIntegrityError) as error:
            if not ours:  # a folder the package did not create is never rebuilt on its own
                raise type(error)(
                    f"{error} (The folder is not a cache salarymodel created, so it is not "
                    "retrained on its own: retrain it yourself, or point SALARYMODEL_MODEL_DIR "
                    "elsewhere.)"
                ) from None
    elif folder.exists() and any(folder.iterdir()) and not ours:
        raise ModelIntegrityError(
            f"{folder} (the default model folder) holds files but no model card, and salarymodel did not "
            "create it: it is not written into. Point SALARYMODEL_MODEL_DIR at an empty or new folder, or "
            f"train there yourself with 'python -m salarymodel.train --out {folder}'."
        )
    import sys
    import time

    from .pipeline import train  # first use only: the training side stays out of serving

    def say(text: str) -> None:
        print(f"salarymodel: {text}", file=sys.stderr, flush=True)

    say(
        f"no default model in {folder} yet: training it from the shipped figures, once (sampling the "
        "posterior takes about half a minute on two cores; each stage is named as it starts)"
    )
    start = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    if not ours:  # the package creates this cache: mark it, so only it is ever rebuilt
        (folder / CACHE_MARKER).write_text("A model cache created by salarymodel; it may be rebuilt.\n")
    model = train(out=Path(folder), progress=lambda stage: say(f"  {stage}")).model
    say(f"done in {time.perf_counter() - start:.1f} s; later calls load it in milliseconds")
    return model


def predict(
    country: str,
    years: YearsOfExperience,
    company: str | None = None,
    *,
    confidence: float = 0.8,
    currency: str | None = None,
    as_of: object = None,
    aging_rate: float | None = None,
) -> SalaryEstimate:
    """Estimate an ML engineer's base salary with the default model.

    See :meth:`SalaryModel.predict` for parameters.

    Examples
    --------
    >>> estimate = predict("Germany", 4)
    >>> estimate.currency, estimate.low < estimate.median < estimate.high
    ('EUR', True)
    """
    return (_default_model or default_model()).predict(
        country, years, company, confidence=confidence, currency=currency, as_of=as_of, aging_rate=aging_rate
    )


def predict_frame(
    frame: pd.DataFrame,
    *,
    confidence: float = 0.8,
    currency: str | None = None,
    errors: str = "raise",
    sources: bool = False,
    as_of: object = None,
    aging_rate: float | None = None,
    percentiles: tuple[float, ...] | None = None,
) -> pd.DataFrame:
    """Score a DataFrame with the default model; see :meth:`SalaryModel.predict_frame`."""
    return default_model().predict_frame(
        frame,
        confidence=confidence,
        currency=currency,
        errors=errors,
        sources=sources,
        as_of=as_of,
        aging_rate=aging_rate,
        percentiles=percentiles,
    )


def percentiles(
    country: str,
    years: YearsOfExperience,
    company: str | None = None,
    *,
    q: tuple[float, ...] = (10, 25, 50, 75, 90),
    currency: str | None = None,
    as_of: object = None,
    aging_rate: float | None = None,
) -> dict[float, float]:
    """Percentiles of base salary with the default model; see :meth:`SalaryModel.percentiles`.

    Examples
    --------
    >>> p = percentiles("Germany", 4, q=(10, 90))
    >>> e = predict("Germany", 4)
    >>> abs(p[10] / e.low - 1) < 1e-9 and abs(p[90] / e.high - 1) < 1e-9
    True
    """
    return default_model().percentiles(country, years, company, q=q, currency=currency, as_of=as_of, aging_rate=aging_rate)


def rank(
    country: str,
    years: YearsOfExperience,
    salary: float,
    company: str | None = None,
    *,
    currency: str | None = None,
    as_of: object = None,
    aging_rate: float | None = None,
):
    """Where a salary stands with the default model; see :meth:`SalaryModel.rank`.

    Examples
    --------
    >>> r = rank("Germany", 5, 70000, currency="EUR")
    >>> 0 < r.percentile < 100 and r.percentile_low <= r.percentile <= r.percentile_high
    True
    """
    return default_model().rank(country, years, salary, company, currency=currency, as_of=as_of, aging_rate=aging_rate)


def ranges(
    country: str,
    company: str | None = None,
    *,
    levels=None,
    target: float = 50,
    spread: tuple[float, float] = (25, 75),
    currency: str | None = None,
    as_of: object = None,
    aging_rate: float | None = None,
) -> list:
    """Pay ranges per level with the default model; see :meth:`SalaryModel.ranges`.

    Examples
    --------
    >>> mid = ranges("Germany")[1]
    >>> mid.level, mid.minimum < mid.midpoint < mid.maximum
    ('mid', True)
    """
    return default_model().ranges(
        country, company, levels=levels, target=target, spread=spread, currency=currency, as_of=as_of, aging_rate=aging_rate
    )


def curve(
    country: str,
    company: str | None = None,
    *,
    years: object = None,
    q: tuple[float, ...] = (10, 25, 50, 75, 90),
    currency: str | None = None,
    as_of: object = None,
    aging_rate: float | None = None,
) -> pd.DataFrame:
    """Percentiles by years of experience with the default model; see :meth:`SalaryModel.curve`."""
    return default_model().curve(country, company, years=years, q=q, currency=currency, as_of=as_of, aging_rate=aging_rate)


def known() -> list[dict]:
    """Countries and employers the default model knows; see :meth:`SalaryModel.known`.

    Examples
    --------
    >>> [item["country"] for item in known()]
    ['DE', 'IN', 'US']
    """
    return default_model().known()


def explain(
    country: str,
    years: YearsOfExperience,
    company: str | None = None,
    *,
    currency: str | None = None,
    as_of: object = None,
    aging_rate: float | None = None,
) -> pd.DataFrame:
    """Figures behind an estimate of the default model; see :meth:`SalaryModel.explain`."""
    return default_model().explain(country, years, company, currency=currency, as_of=as_of, aging_rate=aging_rate)
