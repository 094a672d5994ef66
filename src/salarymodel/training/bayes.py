"""A run's figures (and records) -> the measurement model's posterior.

The one place training turns figures into a fitted posterior: the model's
arrays are built from the run's figures and records (both already in the
reference money, :mod:`salarymodel.data.training_data`) (:func:`~salarymodel.training.measurement.measurement_data`)
and the fit is sampled, or reused when the same fit was made before
(:mod:`salarymodel.training.posterior_cache`).
"""

from __future__ import annotations

from dataclasses import replace

from ..data.training_data import TrainingData
from .measurement import measurement_data
from .posterior import Posterior, SamplerSettings
from .posterior_cache import cached_posterior

__all__ = ["RETRY_SEED_OFFSET", "fit_posterior"]

# The retry's chains: the run's seed plus this, a stream no first fit of seeds below it uses.
RETRY_SEED_OFFSET = 1_000_000


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
        Sampled again with new chains and twice the kept draws when the first run's diagnostics
        fail; its diagnostics not yet checked (``posterior.diagnostics.check()``).
    """
    usd = data.records if data.records is not None and len(data.records) else None
    growth = {c: w.real_growth for c, w in data.wages.items() if w.real_growth is not None}
    arrays = measurement_data(data.used_figures(), data.levels, usd, growth)
    settings = settings or SamplerSettings()
    posterior = cached_posterior(arrays, seed=seed, settings=settings)
    if posterior.diagnostics.problems():
        # Chains that mix slowly along one ridge (an employer's effect against the employers'
        # scale) are short of effective draws, or met one divergent transition there: not
        # wrong. Sampled once more with new chains (the same seed would repeat the same
        # transitions) and twice the kept draws; what still fails is refused.
        posterior = cached_posterior(
            arrays, seed=seed + RETRY_SEED_OFFSET, settings=replace(settings, samples=2 * settings.samples)
        )
    return posterior
