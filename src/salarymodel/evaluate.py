"""Evaluation report. It leads with evidence from data the model never saw:

1. validation: leave one figure out and leave one source out (retrain,
   predict the held-out statistic, judge it against the interval of what a
   new source would report);
2. the external check against real, self-reported salaries;

then fidelity to every reported figure, consistency of the bands with the
generator (held-out synthetic draws), the model comparison and the
median's own uncertainty.

Run ``python -m salarymodel.evaluate [--model DIR] [--json] [--no-compare] [--no-validation]``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .candidates import CANDIDATES
from .external import POPULATION_NOTE, external_check
from .fidelity import FIDELITY_TOLERANCE, fidelity_table
from .figures import PARTITION_LEVELS
from .metrics import CONFIDENCES, HOLDOUT_SEED_OFFSET, coverage_report
from .model import FEATURES
from .synthetic import make_training_set
from .validation import leave_one_figure_out, leave_one_source_out, validation_summary

__all__ = ["evaluation_report", "fidelity_section", "uncertainty_section", "compare_models", "validation_section",
           "external_section", "main"]

# Selection rule tolerances (points of coverage), as the calibration targets.
OVERALL_TOLERANCE = 0.02
COUNTRY_TOLERANCE = 0.05


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return _clean(value.item())
    return value


def _records(table: pd.DataFrame) -> list[dict]:
    return [{k: _clean(v) for k, v in record.items()} for record in table.to_dict("records")]


def fidelity_section(table: pd.DataFrame) -> dict:
    """Per-figure fidelity records plus a summary."""
    used = table[table["status"] != "excluded"]
    errors = np.abs(np.concatenate([used["relative_error"].to_numpy(float),
                                    used["relative_error_high"].dropna().to_numpy(float)]))
    return {
        "tolerance": FIDELITY_TOLERANCE,
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
        "figures": _records(table),
    }


def validation_section(model, *, seed: int = 0) -> dict:
    """Leave-one-figure-out and leave-one-source-out results with summaries."""
    section = {}
    for name, run in (("leave_one_figure_out", leave_one_figure_out), ("leave_one_source_out", leave_one_source_out)):
        table = run(model.plan, seed=seed)
        section[name] = {"summary": validation_summary(table), "figures": _records(table)}
    section["interval"] = ("80% interval of what a new source would report for the cell: the retrained model's "
                           "statistic divided/multiplied by exp(1.2816 * sqrt(tau_source^2 (1 + 1/n) "
                           "[+ tau_employer^2 for an employer the model no longer knows]))")
    return section


def external_section(model) -> dict:
    """Real salaries inside the 80% band: year-matched (headline) and all years."""
    year = str(model.reference_year)
    matched = external_check(model, year_scope=year, min_answers=10)
    every = external_check(model, year_scope="all_years", min_answers=30)
    return {"population_note": POPULATION_NOTE,
            "year_matched": {"year_scope": year, "min_answers": 10, "cells": _records(matched)},
            "all_years": {"year_scope": "all_years", "min_answers": 30, "cells": _records(every)}}


def money_section(model) -> dict:
    """How older figures were aged (wage index, beside what CPI would give)
    and which dates the model can serve."""
    figures = model.plan.figures.drop_duplicates("id")
    moved = figures[(figures["year"] != model.reference_year) & figures["aging_factor"].notna()]
    rows = [{"id": r.id, "country": r.country, "year": int(r.year), "currency": r.currency,
             "reported": float(r.value), "wage_factor": float(r.aging_factor),
             "cpi_factor": None if r.cpi_factor != r.cpi_factor else float(r.cpi_factor),
             "aged_with_wages": float(r.value * r.aging_factor),
             "aged_with_cpi": None if r.cpi_factor != r.cpi_factor else float(r.value * r.cpi_factor),
             "change_vs_cpi": None if r.cpi_factor != r.cpi_factor else float(r.aging_factor / r.cpi_factor - 1)}
            for r in moved.itertuples()]
    return {"figures": rows, "serving": model.money.to_dict()}


def uncertainty_section(model) -> list[dict]:
    """Median, its bootstrap interval and the 80% band at each level's centre."""
    rows = []
    levels = model.plan.levels
    for country, company in model.cells:
        for level in PARTITION_LEVELS:
            years = float((levels.at[level, "years_min"] + min(levels.at[level, "years_max"], 25)) / 2)
            e = model.predict(country, years, company, currency="USD", as_of=model.reference_date)
            rows.append({
                "country": country, "company": company, "level": level, "years": years,
                "median_usd": e.median, "median_low_usd": e.median_low, "median_high_usd": e.median_high,
                "median_spread": e.median_high / e.median_low - 1, "band_80_spread": e.high / e.low - 1,
                "support": e.support,
            })
    return rows


def compare_models(plan, *, n_rows: int, seed: int) -> dict:
    """Fit every candidate family on one split and score it the same way."""
    train_rows = make_training_set(plan=plan, n_rows=n_rows, seed=seed)
    holdout = make_training_set(plan=plan, n_rows=n_rows, seed=seed + HOLDOUT_SEED_OFFSET)
    y_train = np.log(train_rows["salary_usd"].to_numpy())
    y_test = np.log(holdout["salary_usd"].to_numpy())
    countries = tuple(sorted(train_rows["country"].unique()))
    results = []
    for family in CANDIDATES:
        candidate = family(seed=seed)
        start = time.perf_counter()
        candidate.fit(train_rows[FEATURES], y_train)
        fit_seconds = time.perf_counter() - start
        coverage, by_country = {}, {}
        for confidence in CONFIDENCES:
            start = time.perf_counter()
            low, high = candidate.interval(holdout[FEATURES], confidence)
            predict_seconds = time.perf_counter() - start
            inside = pd.Series((y_test >= low) & (y_test <= high))
            coverage[f"{confidence:g}"] = float(inside.mean())
            by_country[f"{confidence:g}"] = {k: float(v) for k, v in inside.groupby(holdout["country"]).mean().items()}
            if confidence == 0.8:
                width = float(np.mean(np.exp(high - low) - 1))
                microseconds = predict_seconds / len(holdout) * 1e6
        table = fidelity_table(_salary_quantiles(candidate), plan, countries)
        grid = pd.DataFrame([(c, None, y) for c in countries for y in np.linspace(0, 40, 81)], columns=FEATURES)
        medians = candidate.quantiles(grid, np.array([0.5]))[:, 0].reshape(len(countries), -1)
        used = table[table["status"] != "excluded"]
        worst_country = max(abs(v - float(k)) for k, per in by_country.items() for v in per.values())
        results.append({
            "name": family.name,
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
        })
    return {"train_seed": seed, "holdout_seed": seed + HOLDOUT_SEED_OFFSET, "rows": n_rows, "candidates": results,
            "chosen": _choose(results)}


def _salary_quantiles(candidate):
    """A candidate's quantile function in salary (not log) terms."""
    def quantiles(frame: pd.DataFrame, levels: np.ndarray) -> np.ndarray:
        return np.exp(candidate.quantiles(frame, levels))

    return quantiles


def _choose(results: list[dict]) -> dict:
    """Selection rule: calibrated candidates first, then fidelity, then width."""
    def calibrated(r):
        return (all(abs(r["coverage"][k] - float(k)) <= OVERALL_TOLERANCE for k in ("0.5", "0.8", "0.9"))
                and r["worst_country_deviation"] <= COUNTRY_TOLERANCE and r["median_non_decreasing"])

    ranked = sorted(results, key=lambda r: (not calibrated(r), -r["fidelity_reproduced"],
                                            r["fidelity_median_abs_error"], r["band_80_relative_width"]))
    best = ranked[0]
    return {"name": best["name"], "calibrated": calibrated(best),
            "rule": f"eligible: calibrated (within {OVERALL_TOLERANCE:.0%} overall at 50/80/90%, "
                    f"{COUNTRY_TOLERANCE:.0%} per country) with medians that never fall with years; then most "
                    "figures reproduced, then smallest median error, then narrowest band"}


def evaluation_report(model, *, compare: bool = True, validation: bool = True) -> dict:
    """The full report for a loaded model (see the module docstring)."""
    seed = int(model.metadata.get("seed", 0))
    rows = int(model.metadata.get("rows", 40_000))
    holdout = make_training_set(plan=model.plan, n_rows=rows, seed=seed + HOLDOUT_SEED_OFFSET)
    report: dict[str, Any] = {
        "model": {"version": model.metadata.get("version"), "seed": seed, "rows": rows,
                  "reference_year": model.reference_year, "countries": list(model.countries)},
    }
    if validation:
        report["validation"] = validation_section(model, seed=seed)
    report.update({
        "external": external_section(model),
        "money": money_section(model),
        "fidelity": fidelity_section(model.fidelity()),
        "calibration": coverage_report(model, holdout),
        "uncertainty": uncertainty_section(model),
    })
    report["calibration"]["holdout_seed"] = seed + HOLDOUT_SEED_OFFSET
    if compare:
        report["comparison"] = compare_models(model.plan, n_rows=rows, seed=seed)
    return report


def _validation_lines(name: str, part: dict) -> list[str]:
    s = part["summary"]
    head = (f"{name}: {s['figures']} figures predicted, {s['not_estimable']} not estimable; median |error| "
            + (f"{s['median_abs_error']:.1%}, inside the 80% new-source interval {s['inside_interval']:.0%}"
               if s["figures"] else "n/a"))
    table = pd.DataFrame(part["figures"])
    shown = table[["id", "held_out", "statistic", "country", "company", "reported_usd", "model_usd",
                   "relative_error", "relative_error_high", "inside_interval", "status"]].copy()
    for column in ("reported_usd", "model_usd"):
        shown[column] = shown[column].map(lambda v: "" if v is None or v != v else f"{v:,.0f}")
    for column in ("relative_error", "relative_error_high"):
        shown[column] = shown[column].map(lambda v: "" if v is None or v != v else f"{v:+.1%}")
    shown = shown.fillna("-")
    return [head, shown.to_string(index=False), ""]


def _external_lines(external: dict) -> list[str]:
    lines = [f"EXTERNAL CHECK: real salaries inside the model's 80% band ({external['population_note']})"]
    for key in ("year_matched", "all_years"):
        part = external[key]
        table = pd.DataFrame(part["cells"])
        lines.append(f"  {part['year_scope']} (judged when n >= {part['min_answers']}):")
        shown = table[["country", "experience_level", "n", "judged", "share_inside", "model_median_usd",
                       "real_median_usd", "median_ratio", "model_low_usd", "model_high_usd"]]
        lines += [shown.to_string(index=False, float_format=lambda v: f"{v:,.2f}" if abs(v) < 10 else f"{v:,.0f}"),
                  ""]
    return lines


def _money_lines(money: dict, reference_year: int) -> list[str]:
    lines = [f"MONEY OVER TIME: older figures aged to 1 July {reference_year} with wage indices "
             "(beside what consumer prices would give)"]
    if money["figures"]:
        table = pd.DataFrame(money["figures"])
        lines.append(table[["id", "country", "year", "currency", "reported", "wage_factor", "cpi_factor",
                            "aged_with_wages", "aged_with_cpi", "change_vs_cpi"]].to_string(
            index=False, float_format=lambda v: f"{v:.4f}" if abs(v) < 10 else f"{v:,.0f}"))
    serving = money["serving"]
    for country, index in serving["wage_indices"].items():
        lines.append(f"  {country}: {index['series']}; published to {index['last_published']}, then "
                     f"{index['projection_rate']:+.1%} a year (projected estimates are flagged), at most to "
                     f"{index['projected_at_most_to']}")
    lines += [f"  FX: {serving['fx']['source']}, {serving['fx']['months']}", ""]
    return lines


def format_report(report: dict) -> str:
    """The report as text tables."""
    lines = []
    if "validation" in report:
        lines.append("VALIDATION ON FIGURES THE MODEL NEVER SAW (" + report["validation"]["interval"] + ")")
        lines += _validation_lines("LEAVE ONE FIGURE OUT", report["validation"]["leave_one_figure_out"])
        lines += _validation_lines("LEAVE ONE SOURCE OUT", report["validation"]["leave_one_source_out"])
    lines += _external_lines(report["external"])
    lines += _money_lines(report["money"], report["model"]["reference_year"])
    fid = report["fidelity"]
    s = fid["summary"]
    lines += [f"FIDELITY: {s['reproduced']} of {s['statistics']} reported statistics reproduced within "
              f"{fid['tolerance']:.0%}, {s['not_reproduced']} not (reason given), {s['excluded']} excluded; "
              f"median |error| {s['median_abs_relative_error']:.1%}; inside 80% band {s['inside_80_band']:.0%}, "
              f"95% band {s['inside_95_band']:.0%}", ""]
    table = pd.DataFrame(fid["figures"])
    shown = table[["id", "statistic", "country", "company", "level", "reported_usd", "model_usd",
                   "relative_error", "in_band_80", "in_band_95", "status", "reason"]].copy()
    for column in ("reported_usd", "model_usd"):
        shown[column] = shown[column].map(lambda v: "" if v is None or v != v else f"{v:,.0f}")
    shown["relative_error"] = shown["relative_error"].map(lambda v: "" if v is None or v != v else f"{v:+.1%}")
    shown["company"] = shown["company"].fillna("-")
    shown["country"] = shown["country"].fillna("-")
    lines += [shown.to_string(index=False), ""]
    cal = report["calibration"]
    lines.append(f"CONSISTENCY WITH THE GENERATOR (not a test against reality): band coverage of {cal['rows']:,} "
                 f"new-source draws from the generator (seed {cal['holdout_seed']}):")
    countries = sorted(next(iter(cal["levels"].values()))["by_country"])
    level_names = sorted(next(iter(cal["levels"].values()))["by_level"])
    lines.append(f"{'nominal':>8} {'overall':>8} " + " ".join(f"{c:>6}" for c in countries) + " " +
                 " ".join(f"{n:>7}" for n in level_names) + f" {'width':>6}")
    for key, level in cal["levels"].items():
        lines.append(f"{key:>8} {level['overall']:>8.3f} " + " ".join(f"{level['by_country'][c]:>6.3f}" for c in countries)
                     + " " + " ".join(f"{level['by_level'][n]:>7.3f}" for n in level_names)
                     + f" {level['mean_relative_width']:>6.2f}")
    lines.append("")
    if "comparison" in report:
        comp = report["comparison"]
        lines.append(f"MODEL COMPARISON (train seed {comp['train_seed']}, held-out seed {comp['holdout_seed']}, "
                     f"{comp['rows']:,} rows each):")
        frame = pd.DataFrame([{
            "model": r["name"], "cov50": r["coverage"]["0.5"], "cov80": r["coverage"]["0.8"],
            "cov90": r["coverage"]["0.9"], "cov95": r["coverage"]["0.95"],
            "worst country dev": r["worst_country_deviation"], "80% width": r["band_80_relative_width"],
            "reproduced": r["fidelity_reproduced"], "median |err|": r["fidelity_median_abs_error"],
            "fit s": r["fit_seconds"], "us/row": r["predict_microseconds_per_row"]} for r in comp["candidates"]])
        lines += [frame.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
                  f"chosen: {comp['chosen']['name']} (rule: {comp['chosen']['rule']})", ""]
    lines.append("ESTIMATE UNCERTAINTY (USD): median, its bootstrap 10-90% interval, and the 80% band's spread")
    unc = pd.DataFrame(report["uncertainty"])
    unc["company"] = unc["company"].fillna("-")
    unc["years"] = unc["years"].map(lambda v: f"{v:.1f}")
    lines.append(unc[["country", "company", "level", "years", "median_usd", "median_low_usd", "median_high_usd",
                      "median_spread", "band_80_spread", "support"]].to_string(
        index=False, float_format=lambda v: f"{v:,.2f}" if abs(v) < 10 else f"{v:,.0f}"))
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m salarymodel.evaluate",
                                     description="Evaluate a trained model: fidelity to every reported figure, "
                                                 "calibration, model comparison and median uncertainty.")
    parser.add_argument("--model", type=Path, default=None,
                        help="model folder (default: ./models if it holds a model, else the default model)")
    parser.add_argument("--json", action="store_true", help="emit the report as JSON")
    parser.add_argument("--no-compare", action="store_true", help="skip the model comparison (the slow part)")
    parser.add_argument("--no-validation", action="store_true",
                        help="skip leave-one-figure/source-out validation (about 10 s)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    from ._cli_predict import load_for_cli

    args = build_parser().parse_args(argv)
    try:
        model = load_for_cli(args.model)
    except (ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = evaluation_report(model, compare=not args.no_compare, validation=not args.no_validation)
    print(json.dumps(report, indent=2, default=_clean) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
