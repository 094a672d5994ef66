"""A check against real salaries the model never saw (never fitted to them).

``data/raw/external_check.csv`` summarises self-reported ML engineer
salaries from the aijobs.net salary index (CC0 1.0; publisher's repository
foorilla/ai-jobs-net-salaries, snapshot of 2025-01-19): percentiles of
``salary_in_usd`` per country, experience level and year scope. For each
cell with enough answers, the share of those real salaries inside the
model's band is computed, with the real distribution read off its
percentiles by linear interpolation (min, p10, p25, median, p75, p90, max).

The populations differ and the report says so: job-board self-reports of
"total gross salary" (equity unclear), mostly from 2024, against salary-site
base pay in the model's reference-year money.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data.levels import sample_years
from ..data.shipped import raw_data_file
from ..training.state_file import training_state
from .sharpness import real_salary_scores

__all__ = ["EXPERIENCE_LEVELS", "load_external", "external_check", "POPULATION_NOTE"]

# aijobs.net experience levels -> our level names (years, half-open).
EXPERIENCE_LEVELS = {"EN": "entry", "MI": "mid", "SE": "senior", "EX": "lead", "ALL": "all"}
_PERCENTILES = (("min", 0.0), ("p10", 0.1), ("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9), ("max", 1.0))
_YEARS_PER_CELL = 200
POPULATION_NOTE = (
    "real salaries are self-reported on an AI job board (total gross pay, equity unclear; "
    "mostly 2024) while the model's figures are salary-site base pay, aged with wage indices to the "
    "year compared (pooled years: reference-year money), "
    "so the real population is expected to sit above the model"
)


def load_external(path: str | Path | None = None) -> pd.DataFrame:
    """The shipped percentile summary of real salaries (one row per cell)."""
    return pd.read_csv(path or raw_data_file("external_check.csv"))


def _real_cdf(row: pd.Series, salary: np.ndarray) -> np.ndarray:
    """Share of real salaries below ``salary``, interpolated from percentiles."""
    points = np.array([row[name] for name, _ in _PERCENTILES], dtype=float)
    shares = np.array([share for _, share in _PERCENTILES])
    points = np.maximum.accumulate(points)  # ties at the extremes of tiny cells
    return np.interp(salary, points, shares)


def external_check(
    model,
    *,
    confidence: float = 0.8,
    title_group: str = "MLE",
    location_basis: str = "company_location",
    year_scope: str = "all_years",
    min_answers: int = 30,
    path: str | Path | None = None,
) -> pd.DataFrame:
    """Share of real salaries inside the model's band, per country and level.

    Parameters
    ----------
    model : SalaryModel
    confidence : float, default=0.8
        Band whose coverage is checked.
    title_group, location_basis, year_scope : str
        Which summary rows to use (see the data file's README in the docs).
        A single year is compared in that year's money (``as_of`` 1 July);
        ``'all_years'`` in the model's reference money. A country the model
        cannot serve in that money (no wage index) is left out.
    min_answers : int, default=30
        Cells with fewer answers are listed but not judged.
    path : str or Path, default=None
        Another summary file with the same columns.

    Returns
    -------
    pandas.DataFrame
        One row per country and level the model knows: ``country``,
        ``experience_level``, ``level``, ``n``, ``judged`` (n >=
        ``min_answers``), ``share_inside`` (real salaries inside the band,
        averaged over the level's years), ``model_median_usd``,
        ``real_median_usd``, ``median_ratio`` (model / real), the band at
        the level's years (``model_low_usd``, ``model_high_usd``, medians
        over its years), the real ``p10``/``p90``, the band's mean
        ``interval_score`` and ``width`` (log salary, :mod:`.sharpness`).
    """
    table = load_external(path)
    table = table[
        (table["title_group"] == title_group)
        & (table["location_basis"] == location_basis)
        & (table["year_scope"] == year_scope)
        & table["country"].isin(model.core.countries)
    ]
    levels = training_state(model).training_data.levels
    # A year's salaries are compared in that year's money (pay of 1 July,
    # USD at that month's ECB rate); pooled years in the reference money.
    as_of = f"{year_scope}-07-01" if year_scope.isdigit() else model.core.reference_date
    rng = np.random.default_rng(0)
    # A country the model cannot serve in that year's money (no wage index) is left out, not guessed.
    servable = set()
    for country in model.core.countries:
        try:
            model.core.money_quote(country, "USD", as_of)
            servable.add(country)
        except ValueError:
            pass
    table = table[table["country"].isin(servable)]
    records = []
    for row in table.itertuples(index=False):
        row = pd.Series(row._asdict())
        level = EXPERIENCE_LEVELS[row["experience_level"]]
        if row["n"] == 0 or np.isnan(row["median"]):
            continue
        years = sample_years(level, levels.at[level, "years_min"], levels.at[level, "years_max"], levels, _YEARS_PER_CELL, rng)
        band = model.predict_frame(
            pd.DataFrame({"country": row["country"], "years": years}), confidence=confidence, currency="USD", as_of=as_of
        )
        inside = _real_cdf(row, band["high"].to_numpy()) - _real_cdf(row, band["low"].to_numpy())
        model_median = float(band["median"].median())
        points = np.maximum.accumulate(np.array([row[name] for name, _ in _PERCENTILES], dtype=float))
        shares = np.array([share for _, share in _PERCENTILES])
        log_band = np.log(band[["low", "high"]].to_numpy())
        scores = real_salary_scores(log_band, points, shares, confidence)
        records.append(
            {
                "country": row["country"],
                "experience_level": row["experience_level"],
                "level": level,
                "n": int(row["n"]),
                "judged": bool(row["n"] >= min_answers),
                "share_inside": float(inside.mean()),
                "model_median_usd": model_median,
                "real_median_usd": float(row["median"]),
                "median_ratio": model_median / float(row["median"]),
                "model_low_usd": float(band["low"].median()),
                "model_high_usd": float(band["high"].median()),
                "real_p10_usd": float(row["p10"]),
                "real_p90_usd": float(row["p90"]),
                "interval_score": scores["interval_score"],
                "width": scores["width"],
            }
        )
    return pd.DataFrame.from_records(records)
