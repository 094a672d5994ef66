"""Validation helpers shared by the held-out checks: folds, sources, a no-model yardstick.

The held-out checks themselves refit the measurement model without each
figure or source (:mod:`salarymodel.evidence.held_out`); this module says
which figures leave together (:func:`source_of`, :func:`refit_folds`),
what a model-free guess from a figure's peers would have said
(:func:`peer_baseline`), and how a table of held-out results is summarised
(:func:`validation_summary`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.listing import first_ids
from ..data.sources import source_units
from ..data.statistics import kind_of
from ..data.training_data import TrainingData

__all__ = ["MAX_REFITS", "refit_folds", "source_of", "peer_baseline", "validation_summary"]


# Past this many figures (or sources) they are left out in this many seeded
# folds instead of one at a time: every refit samples the measurement model again, so a
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


def source_of(figures: pd.DataFrame) -> pd.Series:
    """The source a figure is left out with: its article, and a named site apart."""
    detail = figures["source_detail"].fillna("").astype(str)
    return figures["source"].astype(str).where(detail == "", figures["source"].astype(str) + "/" + detail)


def peer_baseline(data: TrainingData) -> pd.DataFrame:
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
    data : TrainingData
        The run whose used figures are compared.

    Returns
    -------
    pandas.DataFrame
        One row per figure with a peer: ``id``, ``country``, ``level``,
        ``statistic``, ``reported_usd``, ``peers`` (their ids, comma
        separated), ``baseline_usd`` and ``relative_error``.
    """
    used = data.used_figures().copy()
    used["unit"] = source_units(used).to_numpy()
    used = used[[not kind_of(s).spans for s in used["statistic"]]]  # single values only
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
