"""Sharpness beside coverage: a proper score for the bands.

A band that holds 80% only because it is wide is not honest, so every check
of coverage here comes with the interval score of the same band (Gneiting
and Raftery 2007), in log salary, averaged over the salaries it is judged on:

    IS = (u - l) + (2 / alpha) * [(l - y)+ + (y - u)+],   alpha = 1 - confidence

Lower is better; it rewards a narrow band and punishes every miss by how
far it misses. The salaries are the distribution a figure reports (its
percentiles or range, at its stated coverage, before pooling) or, for the
real-salary check, the real percentile summary.

A figure's own distribution is its reported points of the log-salary
quantile function (percentiles, or a range's ends at its coverage), linear
in normal scores between them and continued at the end slopes beyond.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ..data.levels import sample_years
from ..data.statistics import figure_points
from ..serving.explanations import quantiles
from ..training.state_file import training_state

__all__ = ["interval_score", "reported_log_salaries", "figure_sharpness", "sharpness_summary", "real_salary_scores"]

_Z = ndtri((np.arange(400) + 0.5) / 400)  # stratified normal scores of a figure's distribution
_CELL_YEARS = 100


def interval_score(low: np.ndarray, high: np.ndarray, y: np.ndarray, confidence: float) -> np.ndarray:
    """Interval score of bands ``[low, high]`` (log) for observations ``y``, elementwise."""
    alpha = 1.0 - confidence
    return (high - low) + (2.0 / alpha) * (np.maximum(low - y, 0.0) + np.maximum(y - high, 0.0))


def reported_log_salaries(rows: list[dict]) -> np.ndarray | None:
    """Log salaries at the stratified scores :data:`_Z` of the distribution one figure
    reports (its normalised rows), or None for a figure that reports no spread."""
    per_row = [figure_points(row) for row in rows]
    points = [point for row_points in per_row for point in row_points]
    if len(points) < 2 or not all(per_row):  # a row of a location only (a mean) reports no spread
        return None
    z, log_value = np.array(sorted(points)).T
    below = log_value[0] + (log_value[1] - log_value[0]) / (z[1] - z[0]) * (_Z - z[0])
    above = log_value[-1] + (log_value[-1] - log_value[-2]) / (z[-1] - z[-2]) * (_Z - z[-1])
    return np.where(_Z < z[0], below, np.where(_Z > z[-1], above, np.interp(_Z, z, log_value)))


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
        With its training side (its figures).
    confidence : float, default=0.8

    Returns
    -------
    pandas.DataFrame
        One row per figure with a spread: ``id``, ``country``, ``company``,
        ``level``, ``coverage`` (share of the figure's salaries inside the
        band, over the cell's years), ``interval_score`` and ``width`` (log).
    """
    data = training_state(model).training_data
    used = data.used_figures()
    records = []
    for figure_id, rows in used.groupby("id", sort=False):
        salaries = reported_log_salaries(rows.to_dict("records"))
        if salaries is None:
            continue
        figure = rows.iloc[0].to_dict()
        company = figure["company"] if isinstance(figure["company"], str) else None
        years = sample_years(
            figure["level"], figure["years_min"], figure["years_max"], data.levels, _CELL_YEARS, np.random.default_rng(0)
        )
        frame = pd.DataFrame({"country": figure["country"], "company": company, "years": years})
        low_level, high_level = (1 - confidence) / 2, (1 + confidence) / 2
        band = np.log(quantiles(model.core, frame, np.array([low_level, high_level])))
        coverage, score, width = _judge(band[:, 0], band[:, 1], salaries, confidence)
        records.append(
            {
                "id": figure_id,
                "country": figure["country"],
                "company": company,
                "level": figure["level"],
                "coverage": coverage,
                "interval_score": score,
                "width": width,
            }
        )
    return pd.DataFrame.from_records(records)


def sharpness_summary(table: pd.DataFrame) -> dict:
    """Means over figures: coverage, interval score and width."""
    if table.empty:
        return {"figures": 0}
    columns = ["coverage", "interval_score", "width"]
    return {"figures": int(len(table)), **{c: float(table[c].mean()) for c in columns}}


def real_salary_scores(cell_band: np.ndarray, points: np.ndarray, shares: np.ndarray, confidence: float) -> dict:
    """Coverage, interval score and width of a band (log, one row per year) on a real
    percentile summary (used by the external check)."""
    salaries = np.log(np.interp((np.arange(400) + 0.5) / 400, shares, points))
    return dict(zip(("coverage", "interval_score", "width"), _judge(cell_band[:, 0], cell_band[:, 1], salaries, confidence)))
