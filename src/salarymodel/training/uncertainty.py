"""How much the median moves when the reported figures are resampled.

A bootstrap over sources: each replicate draws, within every country, as
many figures as it has, with replacement, rebuilds the synthetic set and
refits the model. The spread of the replicates' medians separates "the
sources disagree / are few" (a wide median interval) from "salaries vary"
(a wide band with a stable median).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .estimator import FEATURES, SalaryRegressor
from .synthetic import TrainingPlan, make_training_set, plan_training_set

__all__ = ["bootstrap_medians"]

DEFAULT_REPLICATES = 24
_REPLICATE_ROWS = 6000


def _resample_figures(plan: TrainingPlan, rng: np.random.Generator) -> pd.DataFrame:
    used = plan.used_figures().reset_index(drop=True)
    positions: list[np.ndarray] = []
    names: list[str] = []
    for country in sorted(used["country"].unique()):
        ids = used.loc[used["country"] == country, "id"].unique()
        for copy, figure_id in enumerate(rng.choice(ids, size=len(ids), replace=True)):
            rows = np.flatnonzero(used["id"].to_numpy() == figure_id)
            positions.append(rows)
            names += [f"{figure_id}~{copy}"] * len(rows)  # repeated draws stay separate figures
    columns = [c for c in plan.figures.columns if c != "excluded"]
    sample = used.iloc[np.concatenate(positions)][columns].reset_index(drop=True)
    sample["id"] = names
    return sample


def bootstrap_medians(plan: TrainingPlan, cells: list[tuple[str, str | None]], grid: np.ndarray, *,
                      replicates: int = DEFAULT_REPLICATES, seed: int = 0) -> np.ndarray:
    """Median log salary (USD) of each replicate for every cell and grid point.

    Returns
    -------
    ndarray of shape (replicates, len(cells), len(grid))
        NaN where a replicate drew no figure for an employer cell.
    """
    rng = np.random.default_rng([seed, 7])
    out = np.full((replicates, len(cells), len(grid)), np.nan)
    for b in range(replicates):
        figures = _resample_figures(plan, rng)
        replicate_plan = plan_training_set(figures, basis=plan.basis)
        rows = make_training_set(plan=replicate_plan, n_rows=_REPLICATE_ROWS, seed=seed * 1000 + b)
        estimator = SalaryRegressor(random_state=b).fit(rows[FEATURES], np.log(rows["salary_usd"].to_numpy()))
        known = set(zip(rows["country"], rows["company"]))
        present = [k for k, cell in enumerate(cells) if cell in known]
        frame = pd.DataFrame([(cells[k][0], cells[k][1], y) for k in present for y in grid], columns=FEATURES)
        out[b, present] = estimator.predict(frame).reshape(len(present), len(grid))
    return out
