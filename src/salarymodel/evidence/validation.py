"""Validation on figures the model never saw: leave one figure (or source) out.

For each held-out figure the whole pipeline is rerun without it (plan,
synthetic set, estimator), and the retrained model's value of
the figure's statistic is compared with the reported one. The interval it
is judged against is the model's interval for *what a new source would
report* for that cell, not the band of individual salaries: the statistic
of the consensus distribution moved by a source effect with variance
``tau_source**2 * (1 + 1/n)`` (plus the employer spread ``tau_employer**2``
when the figure is an employer's, now unknown to the model).

A held-out figure is one source's statistic, so it is read on the cell as
*one source* sees it, not on the consensus: the consensus mixes sources
whose locations differ, which widens it by the between-source spread that
the interval already adds. The single-source distribution keeps the
consensus median and narrows the spread around it to the share that lies
within sources (measured on the refit's training rows, by source unit). A
figure that is the lowest (highest) of ``k`` sources' values (its
``group_rank``, e.g. f11/f12) is read as that order statistic: the
single-source value moved by the expected minimum (maximum) of ``k``
source effects, with the order statistic's smaller variance.

This is the honest test of the model: the synthetic calibration only shows
the bands are consistent with the generator that made the training rows.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from ..data.figures import group_rank
from ..data.listing import first_ids
from ..training.effects import source_units
from ..training.estimator import FEATURES, SalaryRegressor
from ..training.fidelity import cell_sample, statistic_of
from ..training.synthetic import DEFAULT_ROWS_PER_COUNTRY, TrainingPlan, make_training_set, plan_training_set

__all__ = [
    "MAX_REFITS",
    "refit_folds",
    "leave_one_figure_out",
    "leave_one_source_out",
    "peer_baseline",
    "validation_summary",
    "within_source_share",
    "normal_order_statistic",
]


# Past this many figures (or sources) they are left out in this many seeded
# folds instead of one at a time: every refit reruns the whole pipeline, so a
# survey of thousands of figures costs this many refits, not thousands.
MAX_REFITS = 40


def refit_folds(labels: list[str], seed: int) -> list[tuple[str, list[str]]]:
    """(held-out label, members) of each refit: every label alone, or beyond
    :data:`MAX_REFITS` labels that many folds of them, assigned at random
    (seeded) and each kept in the labels' order."""
    if len(labels) <= MAX_REFITS:
        return [(label, [label]) for label in labels]
    fold_of = np.empty(len(labels), dtype=int)
    fold_of[np.random.default_rng(seed).permutation(len(labels))] = np.arange(len(labels)) % MAX_REFITS
    return [(f"fold {k + 1} of {MAX_REFITS}", [label for label, f in zip(labels, fold_of) if f == k]) for k in range(MAX_REFITS)]


class _Refit(NamedTuple):
    plan: TrainingPlan
    estimator: SalaryRegressor
    rows: pd.DataFrame


def _refit(plan: TrainingPlan, keep: np.ndarray, seed: int, rows_per_country: int) -> _Refit | None:
    """Plan, estimator and training rows from the plan's figures restricted to ``keep``."""
    figures = plan.figures[keep & (plan.figures["excluded"] == "")]
    if figures.empty:
        return None
    columns = [c for c in figures.columns if c != "excluded"]
    refit_plan = plan_training_set(figures[columns].reset_index(drop=True), basis=plan.basis)
    rows = make_training_set(plan=refit_plan, rows_per_country=rows_per_country, seed=seed)
    estimator = SalaryRegressor(random_state=seed).fit(rows[FEATURES], np.log(rows["salary_usd"].to_numpy()))
    return _Refit(refit_plan, estimator, rows)


def within_source_share(rows: pd.DataFrame, plan: TrainingPlan, figure: pd.Series | dict, company: str | None) -> float:
    """Share of a cell's log-salary spread that lies within sources (as a ratio of sds).

    Parameters
    ----------
    rows : pandas.DataFrame
        Training rows of ``plan`` (``country``, ``company``, ``years``,
        ``salary_usd``, ``figure_id``).
    plan : TrainingPlan
        The plan the rows were drawn from (its figures give source units).
    figure : pandas.Series or dict
        The figure whose cell is read: ``country``, ``years_min``, ``years_max``.
    company : str or None
        The employer of the cell (None: the market).

    Returns
    -------
    float
        ``sqrt(1 - between-source variance / total variance)`` of log
        salary among the cell's rows, in [0, 1]; 1 when the cell has fewer
        than two sources (nothing to remove). The between-source part is
        the spread of the sources' mean distance from the experience
        curve, so sources that differ only in the years they describe
        (an entry-level figure inside an all-levels cell) do not count
        as disagreeing.
    """
    same_company = rows["company"].isna() if company is None else rows["company"] == company
    cell = rows[
        (rows["country"] == figure["country"])
        & same_company
        & (rows["years"] >= figure["years_min"])
        & (rows["years"] < figure["years_max"])
    ]
    first = plan.used_figures().drop_duplicates("id")
    units = cell["figure_id"].map(dict(zip(first["id"], source_units(first))))
    if units.nunique() < 2:
        return 1.0
    log_salary = np.log(cell["salary_usd"].to_numpy())
    off_curve = pd.Series(log_salary - plan.curves[figure["country"]](cell["years"].to_numpy()))
    between = float(off_curve.groupby(units.to_numpy()).transform("mean").var(ddof=0))
    total = float(np.var(log_salary))
    return float(np.sqrt(max(1.0 - between / total, 0.0))) if total > 0 else 1.0


def normal_order_statistic(k: int, highest: bool = True) -> tuple[float, float]:
    """Mean and variance of the highest (or lowest) of ``k`` standard normals."""
    z = np.linspace(-9.0, 9.0, 20001)
    density = k * np.exp(-(z**2) / 2) / math.sqrt(2 * math.pi) * ndtr(z) ** (k - 1)
    step = z[1] - z[0]
    mean = float(np.sum(z * density) * step)
    variance = float(np.sum((z - mean) ** 2 * density) * step)
    return (mean if highest else -mean), variance


def _single_source(sample: np.ndarray, share: float) -> np.ndarray:
    """The cell as one source sees it: the consensus median, spread narrowed to ``share``."""
    log_sample = np.log(sample)
    centre = float(np.median(log_sample))
    return np.exp(centre + share * (log_sample - centre))


def _judge(plan: TrainingPlan, refit: _Refit | None, figure_rows: pd.DataFrame, held_out: str, confidence: float) -> list[dict]:
    """One record per statistic of a held-out figure."""
    first = figure_rows.iloc[0]
    records = []
    base = {
        "id": first["id"],
        "held_out": held_out,
        "country": first["country"],
        "company": first["company"] if isinstance(first["company"], str) else None,
        "level": first["level"],
    }
    if refit is None or first["country"] not in refit.estimator.scores_:
        for row in figure_rows.itertuples():
            records.append(
                {
                    **base,
                    "statistic": row.statistic,
                    "reported_usd": row.value_usd,
                    "reported_high_usd": row.value_high_usd,
                    "status": "not estimable",
                    "reason": f"no figure of {first['country']} is left without it",
                }
            )
        return records
    refit_plan, estimator, rows = refit
    used = refit_plan.used_figures()
    known = (first["country"], base["company"]) in set(zip(used["country"], used["company"]))
    unknown_employer = base["company"] is not None and not known
    company = base["company"] if known else None
    share = within_source_share(rows, refit_plan, first, company)
    sample = np.sort(
        _single_source(
            cell_sample(lambda frame, levels: np.exp(estimator.consensus_quantiles(frame, levels)), first, plan.levels, company),
            share,
        )
    )
    effects = refit_plan.effects
    tau = effects.tau_source[first["country"]]
    # A new source's own deviation (tau^2) and our consensus's error (tau^2 / n).
    variance = effects.market_noise(first["country"])
    shift = 0.0
    rank = group_rank(first.get("group_rank"))
    if rank is not None:  # the lowest/highest of k sources: that order statistic of their deviations
        mean_k, variance_k = normal_order_statistic(rank[1], highest=rank[0] > 0)
        shift = mean_k * tau
        variance += (variance_k - 1.0) * tau**2
    if unknown_employer:
        variance += effects.tau_employer**2  # a new employer's effect is unknown
    factor = math.exp(float(ndtri((1 + confidence) / 2)) * math.sqrt(variance))
    reasons = []
    if rank is not None:
        reasons.append(f"{first['group_rank']} sources' values: read as that order statistic")
    if unknown_employer:
        reasons.append("employer unknown without it: market value with the employer spread")
    for row in figure_rows.itertuples():
        value, high = (v * math.exp(shift) for v in statistic_of(sample, row.statistic, row.coverage))
        ends = [(row.value_usd, value)] + ([(row.value_high_usd, high)] if row.statistic == "range" else [])
        errors = [model / reported - 1 for reported, model in ends]
        inside = all(model / factor <= reported <= model * factor for reported, model in ends)
        records.append(
            {
                **base,
                "statistic": row.statistic,
                "reported_usd": row.value_usd,
                "reported_high_usd": row.value_high_usd,
                "model_usd": value,
                "model_high_usd": high,
                "relative_error": errors[0],
                "relative_error_high": errors[1] if len(errors) > 1 else np.nan,
                "interval_factor": factor,
                "within_source_share": share,
                "inside_interval": inside,
                "status": "predicted",
                "reason": "; ".join(reasons),
            }
        )
    return records


def leave_one_figure_out(
    plan: TrainingPlan, *, seed: int = 0, confidence: float = 0.8, rows_per_country: int = DEFAULT_ROWS_PER_COUNTRY, only=None
) -> pd.DataFrame:
    """Retrain without each used figure in turn and predict it (beyond
    :data:`MAX_REFITS` figures, without each of that many seeded folds of them).

    Parameters
    ----------
    plan : TrainingPlan
        The plan of the model to validate.
    seed : int, default=0
        Seed of each retraining.
    confidence : float, default=0.8
        Level of the new-source interval a figure is judged against.
    rows_per_country : int, default=15000
        Synthetic rows of each retraining: the model's own count, so the
        validation measures the pipeline as shipped (fewer rows add
        Monte Carlo noise the shipped model does not have).
    only : list of str, default=None
        Hold out only these figures (each alone); every used figure when None.

    Returns
    -------
    pandas.DataFrame
        One row per held-out statistic: ``id``, ``held_out``, ``country``,
        ``company``, ``level``, ``statistic``, ``reported_usd``,
        ``reported_high_usd``, ``model_usd``, ``model_high_usd``,
        ``relative_error`` (``_high``), ``interval_factor`` (the interval
        is model value divided/multiplied by it), ``within_source_share``
        (how far the consensus spread was narrowed to one source's),
        ``inside_interval``,
        ``status`` and ``reason``.
    """
    used = plan.used_figures()
    by_id = dict(tuple(used.groupby("id", sort=False)))
    records: list[dict] = []
    labels = list(by_id) if only is None else [i for i in by_id if i in set(only)]
    for held_out, members in refit_folds(labels, seed):
        refit = _refit(plan, (~plan.figures["id"].isin(members)).to_numpy(), seed, rows_per_country)
        for figure_id in members:
            records += _judge(plan, refit, by_id[figure_id], held_out, confidence)
    return pd.DataFrame.from_records(records)


def source_of(figures: pd.DataFrame) -> pd.Series:
    """The source a figure is left out with: its article, and a named site apart."""
    detail = figures["source_detail"].fillna("").astype(str)
    return figures["source"].astype(str).where(detail == "", figures["source"].astype(str) + "/" + detail)


def leave_one_source_out(
    plan: TrainingPlan, *, seed: int = 0, confidence: float = 0.8, rows_per_country: int = DEFAULT_ROWS_PER_COUNTRY
) -> pd.DataFrame:
    """Retrain without each source (every figure it reported) and predict them.

    Same columns as :func:`leave_one_figure_out`; ``held_out`` names the
    source (or, beyond :data:`MAX_REFITS` sources, the fold of sources). A
    figure whose country has no other source is 'not estimable'.
    """
    used = plan.used_figures()
    sources = source_of(plan.figures)
    by_id = dict(tuple(used.groupby("id", sort=False)))
    ids_of: dict[str, list[str]] = {}
    for figure_id, source in dict(zip(used["id"], source_of(used))).items():
        ids_of.setdefault(source, []).append(figure_id)
    records: list[dict] = []
    for held_out, members in refit_folds(list(ids_of), seed):
        refit = _refit(plan, (~sources.isin(members)).to_numpy(), seed, rows_per_country)
        for source in members:
            for figure_id in ids_of[source]:
                records += _judge(plan, refit, by_id[figure_id], held_out, confidence)
    return pd.DataFrame.from_records(records)


def peer_baseline(plan: TrainingPlan) -> pd.DataFrame:
    """A naive yardstick: each figure predicted by its peers' plain average.

    A figure's peers are the used figures of *other* source units that
    report the same single-value statistic (a mean or one percentile) for
    the same cell: country, employer, level and years. The baseline is the
    geometric mean of their values, with no model, curve or source weight.
    How far it misses shows how much the sources themselves disagree: the
    yardstick a model's leave-one-figure-out error on those figures should
    beat, by using what else it knows (levels, source groups, curves).
    Ranges and figures without a peer are left out.

    Parameters
    ----------
    plan : TrainingPlan
        The plan whose used figures are compared.

    Returns
    -------
    pandas.DataFrame
        One row per figure with a peer: ``id``, ``country``, ``level``,
        ``statistic``, ``reported_usd``, ``peers`` (their ids, comma
        separated), ``baseline_usd`` and ``relative_error``.
    """
    used = plan.used_figures().copy()
    used["unit"] = source_units(used).to_numpy()
    used = used[used["statistic"] != "range"]
    cell = ["country", "company", "level", "years_min", "years_max", "statistic"]
    records = []
    for _, rows in used.groupby(cell, dropna=False, sort=False):
        logs = np.log(rows["value_usd"].to_numpy(float))
        units = rows["unit"].to_numpy()
        # A figure's peers are its cell less its own unit: sums per unit, not a pass per figure.
        unit_sum = pd.Series(logs).groupby(units).transform("sum").to_numpy()
        unit_count = pd.Series(logs).groupby(units).transform("size").to_numpy()
        peer_count = len(rows) - unit_count
        peer_mean = (logs.sum() - unit_sum) / np.maximum(peer_count, 1)
        ids = rows["id"].to_numpy()
        for k, row in enumerate(rows.itertuples()):
            if peer_count[k] == 0:
                continue
            baseline = float(np.exp(peer_mean[k]))
            records.append(
                {
                    "id": row.id,
                    "country": row.country,
                    "level": row.level,
                    "statistic": row.statistic,
                    "reported_usd": row.value_usd,
                    # The first peers lie among the first 12 + own-unit rows: no pass over the cell.
                    "peers": first_ids(
                        ids[: 12 + unit_count[k]][units[: 12 + unit_count[k]] != row.unit], 12, total=int(peer_count[k]), sep=","
                    ),
                    "baseline_usd": baseline,
                    "relative_error": baseline / row.value_usd - 1,
                }
            )
    columns = ["id", "country", "level", "statistic", "reported_usd", "peers", "baseline_usd", "relative_error"]
    return pd.DataFrame.from_records(records, columns=columns).sort_values("id", ignore_index=True)


def validation_summary(table: pd.DataFrame) -> dict:
    """Per-figure summary: median absolute error and share inside the interval.

    A figure's error is the median over its statistics (a range's worse end
    counts); it is inside when all of its statistics are.
    """
    predicted = table[table["status"] == "predicted"]
    if predicted.empty:
        return {"figures": 0, "not_estimable": int(table["id"].nunique()), "median_abs_error": None, "inside_interval": None}
    # Records read back from JSON hold None where the table held NaN.
    error, error_high = (pd.to_numeric(predicted[c], errors="coerce").abs() for c in ("relative_error", "relative_error_high"))
    worst = np.fmax(error, error_high.fillna(0))
    per_figure = pd.DataFrame({"id": predicted["id"], "error": worst, "inside": predicted["inside_interval"]})
    grouped = per_figure.groupby("id").agg(error=("error", "median"), inside=("inside", "all"))
    return {
        "figures": int(len(grouped)),
        "not_estimable": int(table.loc[table["status"] != "predicted", "id"].nunique()),
        "median_abs_error": float(grouped["error"].median()),
        "inside_interval": float(grouped["inside"].mean()),
    }
