"""A run's figures (and records) -> the measurement model's posterior.

The one place training turns figures into a fitted posterior: records are
put in the figures' money (reference-year USD, base pay only), the model's
arrays are built (:func:`~salarymodel.training.measurement.measurement_data`)
and the fit is sampled, or reused when the same fit was made before
(:mod:`salarymodel.training.posterior_cache`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.names import fold_company_names
from ..data.normalise import normalise_figures
from ..data.training_data import TrainingData
from .measurement import measurement_data
from .posterior import Posterior, SamplerSettings
from .posterior_cache import cached_posterior

__all__ = ["records_in_reference_money", "fit_posterior"]


def records_in_reference_money(records: pd.DataFrame, data: TrainingData) -> pd.DataFrame:
    """Base-pay records in the figures' reference-year USD (aged with the wage index,
    converted at the reference year's rates); total-pay rows are left out."""
    base = records[records["pay"] == "base"].reset_index(drop=True)
    # A record's employer under another spelling of a figure's is that employer.
    used = data.used_figures()
    known = zip(used["country"], used["company"])
    base["company"] = fold_company_names(base["country"], base["company"], known, aliases=data.aliases)
    frame = base.assign(value=base["salary"], value_high=np.nan)
    normalised, _ = normalise_figures(
        frame, reference_year=data.basis.reference_year, wages=data.wages, per_usd=data.basis.per_usd
    )
    return base.assign(
        salary_usd=normalised["value_usd"].to_numpy(float), real_growth_years=normalised["real_growth_years"].to_numpy(float)
    )


def fit_posterior(
    data: TrainingData, records: pd.DataFrame | None = None, *, seed: int = 0, settings: SamplerSettings | None = None
) -> Posterior:
    """The posterior of the measurement model for a run's used figures (and records).

    Parameters
    ----------
    data : TrainingData
    records : pandas.DataFrame, default=None
        Individual salaries (:func:`salarymodel.data.records.load_records`'s columns).
    seed : int, default=0
    settings : SamplerSettings, default=None

    Returns
    -------
    Posterior
        Diagnostics not yet checked (``posterior.diagnostics.check()``).
    """
    usd = records_in_reference_money(records, data) if records is not None and len(records) else None
    growth = {c: w.real_growth for c, w in data.wages.items() if w.real_growth is not None}
    return cached_posterior(measurement_data(data.used_figures(), data.levels, usd, growth), seed=seed, settings=settings)
