"""A run's figures (and records) -> the measurement model's posterior.

The one place training turns figures into a fitted posterior: the model's
arrays are built from the run's figures and records (both already in the
reference money, :mod:`salarymodel.data.training_data`) (:func:`~salarymodel.training.measurement.measurement_data`)
and the fit is sampled, or reused when the same fit was made before
(:mod:`salarymodel.training.posterior_cache`).
"""

from __future__ import annotations

from ..data.training_data import TrainingData
from .measurement import measurement_data
from .posterior import Posterior, SamplerSettings
from .posterior_cache import cached_posterior

__all__ = ["fit_posterior"]


def fit_posterior(data: TrainingData, *, seed: int = 0, settings: SamplerSettings | None = None) -> Posterior:
    """The posterior of the measurement model for a run's used figures and its records.

    Parameters
    ----------
    data : TrainingData
    seed : int, default=0
    settings : SamplerSettings, default=None

    Returns
    -------
    Posterior
        Diagnostics not yet checked (``posterior.diagnostics.check()``).
    """
    usd = data.records if data.records is not None and len(data.records) else None
    growth = {c: w.real_growth for c, w in data.wages.items() if w.real_growth is not None}
    return cached_posterior(measurement_data(data.used_figures(), data.levels, usd, growth), seed=seed, settings=settings)
