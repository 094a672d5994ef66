"""Sharpness beside coverage: a proper score for the bands.

A band that holds 80% only because it is wide is not honest, so every check
of coverage here comes with the interval score of the same band (Gneiting
and Raftery 2007), in log salary, averaged over the salaries it is judged on:

    IS = (u - l) + (2 / alpha) * [(l - y)+ + (y - u)+],   alpha = 1 - confidence

Lower is better; it rewards a narrow band and punishes every miss by how
far it misses. The salaries are the distribution a figure reports (its
percentiles or range, at its stated coverage, before pooling) or, for the
real-salary check, the real percentile summary.

Each score is given for the shipped band and for the earlier new-source band
("previous"): the consensus spread, sources' disagreement
included, with a new source's deviation ``tau**2 (1 + 1/n)`` (``n`` = 1, as
it was counted) drawn on top; it is rebuilt here from the same estimator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ..serving.bands import band_levels, quantile_rows
from ..training.predictive import shape_table
from ..training.synthetic import reported_distribution, sample_years

__all__ = ["interval_score", "figure_sharpness", "sharpness_summary", "previous_band", "real_salary_scores"]

_Z = ndtri((np.arange(400) + 0.5) / 400)  # stratified normal scores of a figure's distribution
_CELL_YEARS = 100


def interval_score(low: np.ndarray, high: np.ndarray, y: np.ndarray, confidence: float) -> np.ndarray:
    """Interval score of bands ``[low, high]`` (log) for observations ``y``, elementwise."""
    alpha = 1.0 - confidence
    return (high - low) + (2.0 / alpha) * (np.maximum(low - y, 0.0) + np.maximum(y - high, 0.0))


def previous_band(model, figure: dict, company: str | None, years: np.ndarray, confidence: float) -> np.ndarray:
    """The pre-issue-20 band (log reference USD) at each year: the consensus
    spread with a new source's deviation on top, variance ``2 tau**2`` (times
    ``1 + k`` for an employer), read from the consensus scores' shape table."""
    estimator, effects = model.estimator, model.plan.effects
    country = figure["country"]
    frame = pd.DataFrame({"country": country, "company": company, "years": years})
    centre, scale = estimator.centre_scale(frame)
    variance = 2.0 * effects.tau_source[country] ** 2
    if company is not None:
        variance *= 1.0 + effects.employer_effects.get((country, company), {}).get("weight", 0.0)
    cache = model.__dict__.setdefault("_previous_shapes", {})
    if country not in cache:
        cache[country] = shape_table(estimator.scores_[country])[None]
    # One "cell" per year (a column of one point each): no running maximum across unsorted years.
    ratio = (np.sqrt(variance) / scale)[:, None]
    rows = np.zeros(len(years), dtype=np.int64)
    return np.stack(
        [
            quantile_rows(level, centre[:, None], scale[:, None], ratio, ratio, rows, cache[country])[:, 0]
            for level in band_levels(confidence)
        ],
        axis=1,
    )


def _judge(low: np.ndarray, high: np.ndarray, salaries: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Coverage, mean interval score and mean width over years x salaries."""
    inside = (salaries[None, :] >= low[:, None]) & (salaries[None, :] <= high[:, None])
    scores = interval_score(low[:, None], high[:, None], salaries[None, :], confidence)
    return float(inside.mean()), float(scores.mean()), float((high - low).mean())


def figure_sharpness(model, confidence: float = 0.8) -> pd.DataFrame:
    """Coverage and interval score of the band on every figure that reports a spread.

    Parameters
    ----------
    model : SalaryModel
        With its training side (estimator and plan).
    confidence : float, default=0.8

    Returns
    -------
    pandas.DataFrame
        One row per figure with a spread: ``id``, ``country``, ``company``,
        ``level``, ``coverage`` (share of the figure's salaries inside the
        band, over the cell's years), ``interval_score`` and ``width`` (log),
        and the same three for the ``previous_`` band.
    """
    plan = model.plan
    used = plan.used_figures()
    records = []
    for figure_id, rows in used.groupby("id", sort=False):
        own = reported_distribution(rows.to_dict("records"))
        if own is None:
            continue
        figure = rows.iloc[0].to_dict()
        company = figure["company"] if isinstance(figure["company"], str) else None
        salaries = own.log_quantile(_Z)
        years = sample_years(
            figure["level"], figure["years_min"], figure["years_max"], plan.levels, _CELL_YEARS, np.random.default_rng(0)
        )
        frame = pd.DataFrame({"country": figure["country"], "company": company, "years": years})
        low_level, high_level = (1 - confidence) / 2, (1 + confidence) / 2
        band = np.log(model.quantiles(frame, np.array([low_level, high_level])))
        previous = previous_band(model, figure, company, years, confidence)
        coverage, score, width = _judge(band[:, 0], band[:, 1], salaries, confidence)
        p_coverage, p_score, p_width = _judge(previous[:, 0], previous[:, 1], salaries, confidence)
        records.append(
            {
                "id": figure_id,
                "country": figure["country"],
                "company": company,
                "level": figure["level"],
                "coverage": coverage,
                "interval_score": score,
                "width": width,
                "previous_coverage": p_coverage,
                "previous_interval_score": p_score,
                "previous_width": p_width,
            }
        )
    return pd.DataFrame.from_records(records)


def sharpness_summary(table: pd.DataFrame) -> dict:
    """Means over figures: coverage, interval score and width, new and previous."""
    if table.empty:
        return {"figures": 0}
    columns = ["coverage", "interval_score", "width", "previous_coverage", "previous_interval_score", "previous_width"]
    return {"figures": int(len(table)), **{c: float(table[c].mean()) for c in columns}}


def real_salary_scores(
    model, cell_band: np.ndarray, previous: np.ndarray | None, points: np.ndarray, shares: np.ndarray, confidence: float
) -> dict:
    """Interval scores of a band on a real percentile summary (used by the external check)."""
    salaries = np.log(np.interp((np.arange(400) + 0.5) / 400, shares, points))
    result = dict(zip(("coverage", "interval_score", "width"), _judge(cell_band[:, 0], cell_band[:, 1], salaries, confidence)))
    if previous is not None:
        result.update(
            zip(
                ("previous_coverage", "previous_interval_score", "previous_width"),
                _judge(previous[:, 0], previous[:, 1], salaries, confidence),
            )
        )
    return result
