"""Calibration metrics: how often bands cover held-out salaries, and how wide they are."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CONFIDENCES", "HOLDOUT_SEED_OFFSET", "coverage_report"]

CONFIDENCES = (0.5, 0.8, 0.9, 0.95)
# Held-out rows are drawn with the training seed plus this offset.
HOLDOUT_SEED_OFFSET = 1


def coverage_report(model, rows: pd.DataFrame, confidences=CONFIDENCES) -> dict:
    """Coverage of the model's bands on held-out synthetic rows.

    Parameters
    ----------
    model : SalaryModel
    rows : pandas.DataFrame
        Held-out engineers from :func:`~salarymodel.training.engineers.draw_engineers`
        (another seed).
    confidences : sequence of float
        Nominal levels to check.

    Returns
    -------
    dict
        ``{"rows": n, "levels": {"0.8": {"overall": .., "by_country": {..},
        "by_level": {..}, "mean_relative_width": ..}, ...}}``; the width is
        high / low - 1, averaged over rows (0.5: the top of the band is 50%
        above its bottom).
    """
    features = rows[["country", "company", "years"]]
    # The band claims to hold one engineer's salary: within-market spread
    # around a median drawn from its uncertainty (a posterior draw).
    salary = rows["engineer_salary_usd"].to_numpy()
    report: dict = {"rows": int(len(rows)), "levels": {}}
    for confidence in confidences:
        band = model.predict_frame(features, confidence=confidence, currency="USD", as_of=model.core.reference_date)
        inside = pd.Series((salary >= band["low"].to_numpy()) & (salary <= band["high"].to_numpy()), index=rows.index)
        width = (band["high"] / band["low"] - 1).to_numpy()
        report["levels"][f"{confidence:g}"] = {
            "nominal": confidence,
            "overall": float(inside.mean()),
            "by_country": {k: float(v) for k, v in inside.groupby(rows["country"]).mean().items()},
            "by_level": {k: float(v) for k, v in inside.groupby(rows["level"]).mean().items()},
            "mean_relative_width": float(np.mean(width)),
        }
    return report
