"""A training plan's figures (and records) -> the measurement model's posterior.

The one place training turns figures into a fitted posterior: records are
put in the plan's money (reference-year USD, base pay only), the model's
arrays are built (:func:`~salarymodel.training.measurement.measurement_data`)
and the fit is sampled, or reused when the same fit was made before
(:mod:`salarymodel.training.posterior_cache`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.names import fold_company_names, load_company_aliases
from ..data.normalise import normalise_figures
from ..data.tables import TablePaths
from .measurement import measurement_data
from .posterior import Posterior, SamplerSettings
from .posterior_cache import cached_posterior

__all__ = ["records_in_reference_money", "fit_to_plan"]


def records_in_reference_money(records: pd.DataFrame, plan) -> pd.DataFrame:
    """Base-pay records in the plan's reference-year USD (aged with the wage index,
    converted at the reference year's rates); total-pay rows are left out."""
    base = records[records["pay"] == "base"].reset_index(drop=True)
    # A record's employer under another spelling of a figure's is that employer.
    used = plan.used_figures()
    aliases = load_company_aliases((getattr(plan, "tables", None) or TablePaths()).path("aliases"))
    base["company"] = fold_company_names(base["country"], base["company"], zip(used["country"], used["company"]), aliases=aliases)
    frame = base.assign(value=base["salary"], value_high=np.nan)
    normalised, _ = normalise_figures(frame, reference_year=plan.basis.reference_year, per_usd=plan.basis.per_usd)
    return base.assign(salary_usd=normalised["value_usd"].to_numpy(float))


def fit_to_plan(
    plan, records: pd.DataFrame | None = None, *, seed: int = 0, settings: SamplerSettings | None = None
) -> Posterior:
    """The posterior of the measurement model for a training plan's used figures (and records).

    Parameters
    ----------
    plan : TrainingPlan
    records : pandas.DataFrame, default=None
        Individual salaries (:func:`salarymodel.data.records.load_records`'s columns).
    seed : int, default=0
    settings : SamplerSettings, default=None

    Returns
    -------
    Posterior
        Diagnostics not yet checked (``posterior.diagnostics.check()``).
    """
    usd = records_in_reference_money(records, plan) if records is not None and len(records) else None
    return cached_posterior(measurement_data(plan.used_figures(), plan.levels, usd), seed=seed, settings=settings)
