"""Cross-validation on a user's records: does the model learn from rows it is given?

``python -m salarymodel.evaluate --cross-validate FILE [--folds K]`` splits the
rows of a records file into K folds at random (seeded, each source spread over
the folds), trains the model on the shipped figures and K - 1 folds, and
scores the held-out fold against what the trained model serves, twice: as the
market's consensus (what a user who names no population is told) and as each
row's own population sees the market (the rows' ``source``, learnt from its
rows in the other folds). Beside them stand the no-model baselines of
:mod:`.real`. Each fold and the pooled rows get coverage of the 50/80/90%
bands with exact binomial intervals, CRPS and the 80% interval score
(:func:`salarymodel.evidence.real.real_salary_section`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .real import real_salary_section

if TYPE_CHECKING:
    from ..serving.model import SalaryModel

__all__ = ["MAX_FOLDS", "assign_folds", "cross_validation_section"]

MAX_FOLDS = 20


def assign_folds(records: pd.DataFrame, folds: int, seed: int = 0) -> np.ndarray:
    """A fold (0 .. folds - 1) for every row: each source's rows dealt out in turn after a
    seeded shuffle, so every fold holds about 1/folds of each population."""
    rng = np.random.default_rng([seed, 47])
    fold = np.empty(len(records), dtype=int)
    for _, index in records.groupby("source", sort=True).indices.items():
        order = rng.permutation(index)
        fold[order] = np.arange(len(order)) % folds
    return fold


def _pooled(reports: list[dict], part: str, name: str) -> dict:
    """One scorer's numbers over every fold's rows of one country (n-weighted means; counts summed)."""
    from scipy import stats

    parts = [r["countries"][name][part] for r in reports if name in r["countries"]]
    n = sum(p["n"] for p in parts)
    out: dict[str, object] = {"n": n}
    for level in (50, 80, 90):
        inside = sum(p[f"coverage_{level}"]["inside"] for p in parts)
        interval = stats.binomtest(inside, n).proportion_ci(0.95, method="exact") if n else None
        out[f"coverage_{level}"] = {
            "share": inside / n if n else None,
            "inside": inside,
            "interval_95": [interval.low, interval.high] if interval is not None else None,
        }
    for score in ("crps", "interval_score_80"):
        out[score] = float(sum(p[score] * p["n"] for p in parts) / n) if n else None
    return out


def cross_validation_section(
    records: pd.DataFrame,
    train: Callable[[pd.DataFrame], SalaryModel],
    *,
    folds: int = 4,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Train on K - 1 folds, score the held-out one, for every fold; then pool.

    Parameters
    ----------
    records : pandas.DataFrame
        :func:`salarymodel.data.records.load_records`'s frame.
    train : callable
        ``train(rows)`` -> the model trained on the figures and these records.
    folds : int, default=4
    seed : int, default=0
    progress : callable, default=None
        Called with one line per fold.

    Returns
    -------
    dict
        ``folds`` (per fold: the market's and the population's reports) and
        ``pooled`` (per country: the market, the population and the baselines).
    """
    fold_of = assign_folds(records, folds, seed)
    per_fold: list[dict[str, Any]] = []
    for k in range(folds):
        if progress is not None:
            progress(f"fold {k + 1} of {folds}: training on {int((fold_of != k).sum()):,} rows")
        model = train(records[fold_of != k].reset_index(drop=True))
        held = records[fold_of == k].reset_index(drop=True)
        market = real_salary_section(model, held)
        covered = {(entry["country"], name) for entry in model.known() for name in entry["populations"]}
        by_population = [
            real_salary_section(model, rows[keep].reset_index(drop=True), source)
            for source, rows in held.groupby("source", sort=True)
            if (keep := [(c, source) in covered for c in rows["country"]]) and any(keep)
        ]
        per_fold.append({"fold": k + 1, "rows": int(len(held)), "market": market, "populations": by_population})
    pooled: dict[str, dict] = {}
    countries = sorted({c for f in per_fold for c in f["market"]["countries"]})
    for country in countries:
        markets = [f["market"] for f in per_fold]
        populations = [p for f in per_fold for p in f["populations"]]
        pooled[country] = {
            "market": _pooled(markets, "model", country),
            "population": _pooled(populations, "model", country),
            "country_lognormal": _pooled(markets, "country_lognormal", country),
            "level_lognormal": _pooled(markets, "level_lognormal", country),
        }
    return {"folds": per_fold, "pooled": pooled, "k": folds, "seed": seed, "rows": int(len(records))}
