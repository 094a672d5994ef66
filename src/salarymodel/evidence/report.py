"""The evidence about a model, as data: what the evaluation report and the
model card show (formatting and the command line live in
:mod:`salarymodel.evaluate`).

1. validation: leave one figure out and leave one source out (refit the
   measurement model, judge the held-out statistic against its posterior
   predictive interval), beside a no-model peer baseline;
2. the external check against real, self-reported salaries;
3. how older figures were aged, fidelity to every reported figure,
   coverage of fresh posterior-predictive engineers, the served tables beside
   other regressions fitted to the same engineers, and the median's own
   uncertainty.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from typing import Any

import numpy as np
import pandas as pd

from ..data.levels import PARTITION_LEVELS
from ..data.statistics import LOCATION_TOLERANCE, SPREAD_TOLERANCE
from ..serving.explanations import band_parts, quantiles
from ..training.engineers import draw_engineers
from ..training.fidelity import fidelity_table
from ..training.state_file import training_state
from .candidates import CANDIDATES
from .external import POPULATION_NOTE, external_check
from .held_out import MAX_PARETO_K, REFIT_LIMITS, REFIT_SETTINGS, Refits, held_out_checks, interval_note
from .metrics import CONFIDENCES, HOLDOUT_SEED_OFFSET, coverage_report
from .sharpness import figure_sharpness, sharpness_summary
from .spline_baseline import FEATURES
from .validation import peer_baseline, refit_folds, source_of, validation_summary

__all__ = [
    "evaluation_report",
    "fidelity_section",
    "uncertainty_section",
    "sharpness_section",
    "compare_models",
    "validation_section",
    "stored_section",
    "external_section",
    "money_section",
    "clean_json",
]

# Selection rule tolerances (points of coverage), as the calibration targets.
OVERALL_TOLERANCE = 0.02
COUNTRY_TOLERANCE = 0.05


def clean_json(value):
    """A report value as plain JSON: NaN to None, numpy scalars to Python."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return clean_json(value.item())
    return value


def _records(table: pd.DataFrame) -> list[dict]:
    return [{k: clean_json(v) for k, v in record.items()} for record in table.to_dict("records")]


def fidelity_section(table: pd.DataFrame, max_figures: int | None = None) -> dict:
    """Per-figure fidelity records plus a summary.

    With ``max_figures`` (the model card: a file that must stay small enough
    to load, whatever the survey's size) only that many records are kept,
    those with the largest errors, in table order; the summary still counts
    every statistic and ``figures_omitted`` says how many were left out
    (the whole table is in the model data: :meth:`SalaryModel.fidelity`).
    """
    used = table[table["status"] != "excluded"]
    errors = np.abs(
        np.concatenate([used["relative_error"].to_numpy(float), used["relative_error_high"].dropna().to_numpy(float)])
    )
    return {
        "tolerance": LOCATION_TOLERANCE,
        "spread_tolerance": SPREAD_TOLERANCE,
        "summary": {
            "figures": int(table["id"].nunique()),
            "statistics": int(len(table)),
            "reproduced": int((table["status"] == "reproduced").sum()),
            "not_reproduced": int((table["status"] == "not reproduced").sum()),
            "excluded": int((table["status"] == "excluded").sum()),
            "median_abs_relative_error": float(np.median(errors)),
            "inside_80_band": float(used["in_band_80"].mean()),
            "inside_95_band": float(used["in_band_95"].mean()),
        },
        "figures": _records(_largest_errors(table, max_figures)),
        "figures_omitted": 0 if max_figures is None else max(len(table) - max_figures, 0),
    }


def _largest_errors(table: pd.DataFrame, keep: int | None) -> pd.DataFrame:
    if keep is None or len(table) <= keep:
        return table
    worst = np.fmax(table["relative_error"].abs(), table["relative_error_high"].abs()).fillna(-1.0)
    chosen = worst.to_numpy().argsort(kind="stable")[::-1][:keep]
    return table.iloc[np.sort(chosen)]


def _held_out_summary(table: pd.DataFrame) -> dict:
    """:func:`validation_summary` plus the width checks, the largest median change
    in a country the held-out figures do not describe, how many refits were
    reweighted rather than sampled, and refits that failed their diagnostics."""
    summary = validation_summary(table)
    widths = table.drop_duplicates("id")
    widths = widths[widths["width_inside"].notna()] if "width_inside" in widths else widths.iloc[:0]
    summary.update(
        {
            "spread_figures": int(len(widths)),
            "spread_inside_interval": float(widths["width_inside"].astype(bool).mean()) if len(widths) else None,
            "max_median_change_other_country": float(table["median_change_other"].max()),
            "max_median_change_other_country_all_years": float(table["median_change_other_all_years"].max()),
            "refits": int(table["held_out"].nunique()),
            "refits_sampled": sorted(set(table.loc[table["refit"] == "sampled", "held_out"])),
            "max_pareto_k": float(table["refit_pareto_k"].max()),
            # A refit with nothing left of a country has that country's parameters at their prior
            # (slow to mix, and judged on nothing): only refits that predict something count.
            "refits_failing_diagnostics": sorted(
                set(table.loc[~table["refit_diagnostics_pass"] & (table["status"] == "predicted"), "held_out"])
            ),
        }
    )
    return summary


def validation_section(model, *, confidence: float = 0.8) -> dict:
    """Leave one figure out and leave one source out on the measurement model:
    every held-out statistic judged against its posterior predictive interval
    under a refit without it (beyond :data:`~salarymodel.evidence.validation.MAX_REFITS`
    figures or sources, seeded folds of them)."""
    state = training_state(model)
    posterior = state.posterior
    seed = posterior.seed
    used = state.training_data.used_figures().drop_duplicates("id")
    fitted = set(posterior.data.ids)
    ids = [i for i in used["id"] if i in fitted]
    by_source: dict[str, list[str]] = {}
    for figure_id, source in zip(used["id"], source_of(used)):
        if figure_id in ids:
            by_source.setdefault(source, []).append(figure_id)
    source_folds = [
        (label, [i for source in members for i in by_source[source]]) for label, members in refit_folds(list(by_source), seed)
    ]
    section: dict[str, Any] = {}
    done: Refits = {}  # a source of one figure is that figure's refit; a larger one starts from its parts'
    for name, groups in (("leave_one_figure_out", refit_folds(ids, seed)), ("leave_one_source_out", source_folds)):
        table = held_out_checks(posterior, groups, confidence=confidence, done=done)
        section[name] = {"summary": _held_out_summary(table), "figures": _records(table)}
    section["peer_baseline"] = _peer_baseline_section(state.training_data, section["leave_one_figure_out"]["figures"])
    section["refit"] = "posterior"
    section["refit_sampler"] = {**dataclasses.asdict(REFIT_SETTINGS), "limits": REFIT_LIMITS.to_dict()}
    section["max_pareto_k"] = MAX_PARETO_K
    section["interval"] = interval_note(confidence)
    return section


def _peer_baseline_section(data, lofo_records: list[dict]) -> dict:
    """The peer baseline beside the model's leave-one-out error on the same figures."""
    table = peer_baseline(data)
    lofo = pd.DataFrame(lofo_records)
    model_errors = validation_summary(lofo[lofo["id"].isin(table["id"])]) if len(table) else None
    per_figure = table["relative_error"].abs().groupby(table["id"]).median()  # one vote per figure
    return {
        "summary": {
            "figures": int(len(per_figure)),
            "median_abs_error": float(per_figure.median()) if len(table) else None,
            "model_median_abs_error": model_errors["median_abs_error"] if model_errors else None,
        },
        "figures": _records(table),
    }


def external_section(model) -> dict:
    """Real salaries inside the 80% band: the reference year (headline), the
    year after it in that year's money (aged with the wage index), and all
    years pooled."""
    year, later = str(model.core.reference_year), str(model.core.reference_year + 1)
    matched = external_check(model, year_scope=year, min_answers=10)
    aged = external_check(model, year_scope=later, min_answers=30)
    every = external_check(model, year_scope="all_years", min_answers=30)
    return {
        "population_note": POPULATION_NOTE,
        "year_matched": {"year_scope": year, "min_answers": 10, "cells": _records(matched)},
        "next_year": {"year_scope": later, "min_answers": 30, "cells": _records(aged)},
        "all_years": {"year_scope": "all_years", "min_answers": 30, "cells": _records(every)},
    }


def money_section(model) -> dict:
    """How older figures were aged (wage index, beside what CPI would give)
    and which dates the model can serve."""
    figures = training_state(model).training_data.figures.drop_duplicates("id")
    moved = figures[(figures["year"] != model.core.reference_year) & figures["aging_factor"].notna()]
    rows = [
        {
            "id": r.id,
            "country": r.country,
            "year": int(r.year),
            "currency": r.currency,
            "reported": float(r.value),
            "wage_factor": float(r.aging_factor),
            "cpi_factor": None if r.cpi_factor != r.cpi_factor else float(r.cpi_factor),
            "aged_with_wages": float(r.value * r.aging_factor),
            "aged_with_cpi": None if r.cpi_factor != r.cpi_factor else float(r.value * r.cpi_factor),
            "change_vs_cpi": None if r.cpi_factor != r.cpi_factor else float(r.aging_factor / r.cpi_factor - 1),
        }
        for r in moved.itertuples()
    ]
    return {"figures": rows, "serving": model.core.money.to_dict()}


def uncertainty_section(model) -> list[dict]:
    """Median, its own 80% interval (the median's uncertainty), the 80% band
    and the band's two parts at each level's centre."""
    rows = []
    levels = training_state(model).training_data.levels
    for country, company in model.core.cells:
        for level in PARTITION_LEVELS:
            years = float((levels.at[level, "years_min"] + min(levels.at[level, "years_max"], 25)) / 2)
            e = model.predict(country, years, company, currency="USD", as_of=model.core.reference_date)
            rows.append(
                {
                    "country": country,
                    "company": company,
                    "level": level,
                    "years": years,
                    "median_usd": e.median,
                    "median_low_usd": e.median_low,
                    "median_high_usd": e.median_high,
                    "median_spread": e.median_high / e.median_low - 1,
                    "band_80_spread": e.high / e.low - 1,
                    "support": e.support,
                    **band_parts(model.core, country, years, company),
                }
            )
    return rows


# The served model's row of the comparison.
def compare_models(model, *, rows_per_country: int, seed: int) -> dict:
    """The served tables beside other regressions fitted to the same engineers.

    Every candidate learns from one set of synthetic engineers drawn from the
    served model's posterior (``seed``) and is scored on fresh ones
    (``seed + HOLDOUT_SEED_OFFSET``) the same way as the served tables: band
    coverage, width, prediction time and fidelity to the figures.
    """
    state = training_state(model)
    data, posterior = state.training_data, state.posterior
    train_rows = draw_engineers(data, posterior, rows_per_country=rows_per_country, seed=seed)
    holdout = draw_engineers(data, posterior, rows_per_country=rows_per_country, seed=seed + HOLDOUT_SEED_OFFSET)
    countries = tuple(model.core.countries)
    # The served tables, named by the regression that wrote them (the card's estimator).
    served = f"served: the posterior's engineers, compiled by {type(state.estimator[0]).__name__}"
    scored = [(served, functools.partial(quantiles, model.core), 0.0)]
    for family in CANDIDATES:
        candidate = family(seed=seed)
        start = time.perf_counter()
        candidate.fit(train_rows[FEATURES], np.log(train_rows["salary_usd"].to_numpy()))
        scored.append((family.name, _salary_quantiles(candidate), time.perf_counter() - start))
    results = [_score(name, quantiles, fit_seconds, holdout, data, countries) for name, quantiles, fit_seconds in scored]
    return {
        "train_seed": seed,
        "holdout_seed": seed + HOLDOUT_SEED_OFFSET,
        "rows": rows_per_country,
        "candidates": results,
        "served": served,
        "calibrated_rule": f"calibrated: within {OVERALL_TOLERANCE:.0%} overall at 50/80/90%, "
        f"{COUNTRY_TOLERANCE:.0%} per country, with medians that never fall with years",
    }


def _score(name: str, quantiles, fit_seconds: float, holdout: pd.DataFrame, data, countries: tuple[str, ...]) -> dict:
    """One candidate's scores on the held-out engineers (salary quantile function ``quantiles``)."""
    salary = holdout["salary_usd"].to_numpy()
    coverage, by_country = {}, {}
    for confidence in CONFIDENCES:
        start = time.perf_counter()
        band = quantiles(holdout[FEATURES], np.array([(1 - confidence) / 2, (1 + confidence) / 2]))
        predict_seconds = time.perf_counter() - start
        inside = pd.Series((salary >= band[:, 0]) & (salary <= band[:, 1]))
        coverage[f"{confidence:g}"] = float(inside.mean())
        by_country[f"{confidence:g}"] = {k: float(v) for k, v in inside.groupby(holdout["country"]).mean().items()}
        if confidence == 0.8:
            width = float(np.mean(band[:, 1] / band[:, 0] - 1))
            microseconds = predict_seconds / len(holdout) * 1e6
    table = fidelity_table(quantiles, data, countries)
    grid = pd.DataFrame([(c, None, y) for c in countries for y in np.linspace(0, 40, 81)], columns=FEATURES)
    medians = np.asarray(quantiles(grid, np.array([0.5])))[:, 0].reshape(len(countries), -1)
    used = table[table["status"] != "excluded"]
    worst_country = max(abs(v - float(k)) for k, per in by_country.items() for v in per.values())
    result = {
        "name": name,
        "fit_seconds": fit_seconds,
        "predict_microseconds_per_row": microseconds,
        "coverage": coverage,
        "coverage_by_country": by_country,
        "worst_country_deviation": worst_country,
        "band_80_relative_width": width,
        "fidelity_reproduced": int((used["status"] == "reproduced").sum()),
        "fidelity_median_abs_error": float(np.median(np.abs(used["relative_error"]))),
        "fidelity_inside_80_band": float(used["in_band_80"].mean()),
        "median_non_decreasing": bool(np.all(np.diff(medians, axis=1) >= -1e-9)),
    }
    result["calibrated"] = (
        all(abs(coverage[k] - float(k)) <= OVERALL_TOLERANCE for k in ("0.5", "0.8", "0.9"))
        and worst_country <= COUNTRY_TOLERANCE
        and result["median_non_decreasing"]
    )
    return result


def _salary_quantiles(candidate):
    """A candidate's quantile function in salary (not log) terms."""

    def quantiles(frame: pd.DataFrame, levels: np.ndarray) -> np.ndarray:
        return np.exp(candidate.quantiles(frame, levels))

    return quantiles


def sharpness_section(model) -> dict:
    """Coverage and interval score of the band on every figure that reports a
    spread (:mod:`salarymodel.evidence.sharpness`)."""
    table = figure_sharpness(model)
    return {"summary": sharpness_summary(table), "figures": _records(table), "note": SHARPNESS_NOTE}


SHARPNESS_NOTE = (
    "interval score of the 80% band in log salary (width plus 10x each miss; lower is better), "
    "judged on the salaries each figure reports (its percentiles or range at its stated coverage, "
    "before pooling)"
)


# Where a section of the report came from: the model card (written by the training run
# that made this model) or this evaluation.
FROM_CARD = "the model card: computed when this model was trained ({flag})"
COMPUTED_NOW = "this evaluation"


def stored_section(model, name: str) -> dict | None:
    """The card's ``metrics[name]`` when the training run computed it (``train --validate``
    writes ``validation``, ``train --compare`` writes ``model_comparison``), else None."""
    if model.folder is None:
        return None
    from ..serving.model_io.folder import read_card

    metrics = read_card(model.folder).get("metrics")
    section = metrics.get(name) if isinstance(metrics, dict) else None
    return section if isinstance(section, dict) else None


def _from_card_or_now(model, name: str, flag: str, recompute: bool, compute) -> dict:
    """The card's section ``name`` (written by ``train {flag}``) unless ``recompute``, else
    ``compute()``; either way saying where it came from."""
    stored = None if recompute else stored_section(model, name)
    return {**stored, "from": FROM_CARD.format(flag=flag)} if stored else {**compute(), "from": COMPUTED_NOW}


def evaluation_report(model, *, compare: bool = True, validation: bool = True, recompute: bool = False) -> dict:
    """The full report for a loaded model (see the module docstring).

    The validation and the comparison are read from the model card when the
    training run computed them (``--validate``, ``--compare``): the card and the
    model are written together, so they describe this model. ``recompute``
    computes them again anyway.
    """
    from ..training.threads import fit_threads

    with fit_threads():  # validation and the comparison refit many models
        return _evaluation_report(model, compare=compare, validation=validation, recompute=recompute)


def _evaluation_report(model, *, compare: bool, validation: bool, recompute: bool) -> dict:
    seed = model.core.metadata.seed
    rows = model.core.metadata.rows_per_country
    # Fresh engineers of the model's own posterior predictive (the card's calibration is the same).
    state = training_state(model)
    holdout = draw_engineers(state.training_data, state.posterior, rows_per_country=rows, seed=seed + HOLDOUT_SEED_OFFSET)
    report: dict[str, Any] = {
        "model": {
            "version": model.core.metadata.version,
            "seed": seed,
            "rows": rows,
            "reference_year": model.core.reference_year,
            "countries": list(model.core.countries),
        },
    }
    if validation:
        report["validation"] = _from_card_or_now(model, "validation", "--validate", recompute, lambda: validation_section(model))
    report.update(
        {
            "external": external_section(model),
            "money": money_section(model),
            "fidelity": fidelity_section(model.fidelity()),
            "calibration": coverage_report(model, holdout),
            "sharpness": sharpness_section(model),
            "uncertainty": uncertainty_section(model),
        }
    )
    report["calibration"]["holdout_seed"] = seed + HOLDOUT_SEED_OFFSET
    if compare:
        report["comparison"] = _from_card_or_now(
            model, "model_comparison", "--compare", recompute, lambda: compare_models(model, rows_per_country=rows, seed=seed)
        )
    return report
