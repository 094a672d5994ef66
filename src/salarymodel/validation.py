"""Validation on figures the model never saw: leave one figure (or source) out.

For each held-out figure the whole pipeline is rerun without it (plan,
synthetic set, estimator; no bootstrap), and the retrained model's value of
the figure's statistic is compared with the reported one. The interval it
is judged against is the model's interval for *what a new source would
report* for that cell, not the band of individual salaries: the statistic
of the consensus distribution moved by a source effect with variance
``tau_source**2 * (1 + 1/n)`` (plus the employer spread ``tau_employer**2``
when the figure is an employer's, now unknown to the model).

This is the honest test of the model: the synthetic calibration only shows
the bands are consistent with the generator that made the training rows.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import ndtri

from .fidelity import cell_sample, statistic_of
from .model import FEATURES, SalaryRegressor
from .synthetic import TrainingPlan, make_training_set, plan_training_set

__all__ = ["leave_one_figure_out", "leave_one_source_out", "validation_summary", "VALIDATION_ROWS"]

VALIDATION_ROWS = 8000


def _refit(plan: TrainingPlan, keep: np.ndarray, seed: int) -> tuple[TrainingPlan, SalaryRegressor] | None:
    """Plan and estimator from the plan's figures restricted to ``keep``."""
    figures = plan.figures[keep & (plan.figures["excluded"] == "")]
    if figures.empty:
        return None
    columns = [c for c in figures.columns if c != "excluded"]
    refit_plan = plan_training_set(figures[columns].reset_index(drop=True), basis=plan.basis)
    rows = make_training_set(plan=refit_plan, n_rows=VALIDATION_ROWS, seed=seed)
    estimator = SalaryRegressor(random_state=seed).fit(rows[FEATURES], np.log(rows["salary_usd"].to_numpy()))
    return refit_plan, estimator


def _judge(plan: TrainingPlan, refit: tuple[TrainingPlan, SalaryRegressor] | None, figure_rows: pd.DataFrame,
           held_out: str, confidence: float) -> list[dict]:
    """One record per statistic of a held-out figure."""
    first = figure_rows.iloc[0]
    records = []
    base = {"id": first["id"], "held_out": held_out, "country": first["country"],
            "company": first["company"] if isinstance(first["company"], str) else None, "level": first["level"]}
    estimator = refit[1] if refit is not None else None
    if estimator is None or first["country"] not in estimator.scores_:
        for row in figure_rows.itertuples():
            records.append({**base, "statistic": row.statistic, "reported_usd": row.value_usd,
                            "reported_high_usd": row.value_high_usd, "status": "not estimable",
                            "reason": f"no figure of {first['country']} is left without it"})
        return records
    refit_plan, _ = refit
    known = (first["country"], base["company"]) in {
        (c, k) for c, k in zip(refit_plan.used_figures()["country"], refit_plan.used_figures()["company"])}
    sample = cell_sample(lambda frame, levels: np.exp(estimator.consensus_quantiles(frame, levels)), first,
                         plan.levels, base["company"] if known else None)
    variance = refit_plan.effects.market_noise(first["country"])
    if base["company"] is not None and not known:
        variance += refit_plan.effects.tau_employer**2  # a new employer's effect is unknown
    factor = math.exp(float(ndtri((1 + confidence) / 2)) * math.sqrt(variance))
    for row in figure_rows.itertuples():
        value, high = statistic_of(sample, row.statistic, row.coverage)
        ends = [(row.value_usd, value)] + ([(row.value_high_usd, high)] if row.statistic == "range" else [])
        errors = [model / reported - 1 for reported, model in ends]
        inside = all(model / factor <= reported <= model * factor for reported, model in ends)
        records.append({**base, "statistic": row.statistic, "reported_usd": row.value_usd,
                        "reported_high_usd": row.value_high_usd, "model_usd": value, "model_high_usd": high,
                        "relative_error": errors[0], "relative_error_high": errors[1] if len(errors) > 1 else np.nan,
                        "interval_factor": factor, "inside_interval": inside, "status": "predicted",
                        "reason": "employer unknown without it: market value with the employer spread"
                        if base["company"] is not None and not known else ""})
    return records


def leave_one_figure_out(plan: TrainingPlan, *, seed: int = 0, confidence: float = 0.8) -> pd.DataFrame:
    """Retrain without each used figure in turn and predict it.

    Parameters
    ----------
    plan : TrainingPlan
        The plan of the model to validate.
    seed : int, default=0
        Seed of each retraining.
    confidence : float, default=0.8
        Level of the new-source interval a figure is judged against.

    Returns
    -------
    pandas.DataFrame
        One row per held-out statistic: ``id``, ``held_out``, ``country``,
        ``company``, ``level``, ``statistic``, ``reported_usd``,
        ``reported_high_usd``, ``model_usd``, ``model_high_usd``,
        ``relative_error`` (``_high``), ``interval_factor`` (the interval
        is model value divided/multiplied by it), ``inside_interval``,
        ``status`` and ``reason``.
    """
    used = plan.used_figures()
    records: list[dict] = []
    for figure_id in dict.fromkeys(used["id"]):
        refit = _refit(plan, (plan.figures["id"] != figure_id).to_numpy(), seed)
        records += _judge(plan, refit, used[used["id"] == figure_id], figure_id, confidence)
    return pd.DataFrame.from_records(records)


def source_of(figures: pd.DataFrame) -> pd.Series:
    """The source a figure is left out with: its article, and a named site apart."""
    detail = figures["source_detail"].fillna("").astype(str)
    return figures["source"].astype(str).where(detail == "", figures["source"].astype(str) + "/" + detail)


def leave_one_source_out(plan: TrainingPlan, *, seed: int = 0, confidence: float = 0.8) -> pd.DataFrame:
    """Retrain without each source (every figure it reported) and predict them.

    Same columns as :func:`leave_one_figure_out`; ``held_out`` names the
    source. A figure whose country has no other source is 'not estimable'.
    """
    used = plan.used_figures()
    sources = source_of(plan.figures)
    records: list[dict] = []
    for source in dict.fromkeys(source_of(used)):
        refit = _refit(plan, (sources != source).to_numpy(), seed)
        mine = used[source_of(used) == source]
        for figure_id in dict.fromkeys(mine["id"]):
            records += _judge(plan, refit, mine[mine["id"] == figure_id], source, confidence)
    return pd.DataFrame.from_records(records)


def validation_summary(table: pd.DataFrame) -> dict:
    """Per-figure summary: median absolute error and share inside the interval.

    A figure's error is the median over its statistics (a range's worse end
    counts); it is inside when all of its statistics are.
    """
    predicted = table[table["status"] == "predicted"]
    if predicted.empty:
        return {"figures": 0, "not_estimable": int(table["id"].nunique()), "median_abs_error": None,
                "inside_interval": None}
    worst = np.fmax(predicted["relative_error"].abs(), predicted["relative_error_high"].abs().fillna(0))
    per_figure = pd.DataFrame({"id": predicted["id"], "error": worst, "inside": predicted["inside_interval"]})
    grouped = per_figure.groupby("id").agg(error=("error", "median"), inside=("inside", "all"))
    return {"figures": int(len(grouped)),
            "not_estimable": int(table.loc[table["status"] != "predicted", "id"].nunique()),
            "median_abs_error": float(grouped["error"].median()),
            "inside_interval": float(grouped["inside"].mean())}
