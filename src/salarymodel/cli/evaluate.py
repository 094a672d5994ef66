"""Evaluation report. It leads with evidence from data the model never saw:

1. validation: leave one figure out and leave one source out (retrain,
   predict the held-out statistic, judge it against the interval of what a
   new source would report), beside a no-model peer baseline;
2. the external check against real, self-reported salaries;

then fidelity to every reported figure, consistency of the bands with the
generator (held-out synthetic draws), the model comparison and the
median's own uncertainty.

Run ``python -m salarymodel.evaluate [--model DIR] [--json] [--no-compare] [--no-validation]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from ..evidence.report import clean_json, evaluation_report
from ._format import text_columns
from ._prog import prog

__all__ = ["evaluation_report", "format_report", "main"]


def _validation_lines(name: str, part: dict) -> list[str]:
    s = part["summary"]
    head = (f"{name}: {s['figures']} figures predicted, {s['not_estimable']} not estimable; median |error| "
            + (f"{s['median_abs_error']:.1%}, inside the 80% new-source interval {s['inside_interval']:.0%}"
               if s["figures"] else "n/a"))
    spread = part.get("seed_spread")
    if spread and all(v is not None for v in spread["median_abs_error"]):
        head += (f" (seeds {', '.join(map(str, spread['seeds']))}: median |error| "
                 f"{min(spread['median_abs_error']):.1%}-{max(spread['median_abs_error']):.1%}, inside "
                 f"{min(spread['inside_interval']):.0%}-{max(spread['inside_interval']):.0%})")
    table = pd.DataFrame(part["figures"])
    shown = table[["id", "held_out", "statistic", "country", "company", "reported_usd", "model_usd",
                   "relative_error", "relative_error_high", "inside_interval", "status"]].copy()
    text_columns(shown, amounts=("reported_usd", "model_usd"), changes=("relative_error", "relative_error_high"))
    shown = shown.fillna("-")
    return [head, shown.to_string(index=False), ""]


def _peer_baseline_lines(part: dict) -> list[str]:
    s = part["summary"]
    if not s["figures"]:
        return ["PEER BASELINE: no figure has a peer (another source's same statistic for its cell)", ""]
    table = text_columns(pd.DataFrame(part["figures"]), amounts=("reported_usd", "baseline_usd"),
                         changes=("relative_error",))
    return [f"PEER BASELINE (no model: each figure as the plain geometric mean of other sources' same statistic "
            f"for its cell; how much the sources disagree): {s['figures']} figures have a peer; median |error| "
            f"{s['median_abs_error']:.1%}, the model leaving each out {s['model_median_abs_error']:.1%}",
            table.to_string(index=False), ""]


def _external_lines(external: dict) -> list[str]:
    lines = [f"EXTERNAL CHECK: real salaries inside the model's 80% band ({external['population_note']}); "
             "a report, not a target: bands are not widened to cover another population. Interval score in log "
             "salary (lower is better), beside the band served before issue 20 ('previous')"]
    for key in ("year_matched", "next_year", "all_years"):
        part = external[key]
        table = pd.DataFrame(part["cells"])
        lines.append(f"  {part['year_scope']} (judged when n >= {part['min_answers']}):")
        shown = table[["country", "experience_level", "n", "judged", "share_inside", "model_median_usd",
                       "real_median_usd", "median_ratio", "model_low_usd", "model_high_usd", "interval_score",
                       "previous_share_inside", "previous_interval_score"]]
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
        lines.append(f"VALIDATION ON FIGURES THE MODEL NEVER SAW (each refit on {report['validation']['rows']:,} "
                     f"synthetic rows per country, as the model; " + report["validation"]["interval"] + ")")
        lines += _validation_lines("LEAVE ONE FIGURE OUT", report["validation"]["leave_one_figure_out"])
        lines += _validation_lines("LEAVE ONE SOURCE OUT", report["validation"]["leave_one_source_out"])
        lines += _peer_baseline_lines(report["validation"]["peer_baseline"])
    lines += _external_lines(report["external"])
    lines += _money_lines(report["money"], report["model"]["reference_year"])
    fid = report["fidelity"]
    s = fid["summary"]
    lines += [f"FIDELITY: {s['reproduced']} of {s['statistics']} reported statistics reproduced within "
              f"{fid['tolerance']:.0%} ({fid['spread_tolerance']:.0%} for percentiles and range ends), "
              f"{s['not_reproduced']} not (reason given), {s['excluded']} excluded; "
              f"median |error| {s['median_abs_relative_error']:.1%}; inside 80% band {s['inside_80_band']:.0%}, "
              f"95% band {s['inside_95_band']:.0%}", ""]
    table = pd.DataFrame(fid["figures"])
    shown = table[["id", "statistic", "country", "company", "level", "reported_usd", "model_usd",
                   "relative_error", "in_band_80", "in_band_95", "status", "reason"]].copy()
    text_columns(shown, amounts=("reported_usd", "model_usd"), changes=("relative_error",))
    shown["company"] = shown["company"].fillna("-")
    shown["country"] = shown["country"].fillna("-")
    lines += [shown.to_string(index=False), ""]
    cal = report["calibration"]
    lines.append(f"CONSISTENCY WITH THE GENERATOR (not a test against reality): band coverage of {cal['rows']:,} "
                 f"engineers drawn by the generator (seed {cal['holdout_seed']}):")
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
    if "sharpness" in report:
        sharp = report["sharpness"]
        s = sharp["summary"]
        lines.append(f"SHARPNESS ON FIGURES THAT REPORT A SPREAD ({sharp['note']}): {s['figures']} figures; "
                     f"coverage {s['coverage']:.0%} (previous {s['previous_coverage']:.0%}), interval score "
                     f"{s['interval_score']:.3f} (previous {s['previous_interval_score']:.3f}), width "
                     f"{s['width']:.3f} (previous {s['previous_width']:.3f})")
        table = pd.DataFrame(sharp["figures"])
        table["company"] = table["company"].fillna("-")
        lines += [table.to_string(index=False, float_format=lambda v: f"{v:.3f}"), ""]
    lines.append("ESTIMATE UNCERTAINTY (USD): median, its own 80% interval (the median's uncertainty, part b), the "
                 "80% band's spread, and the band's two parts as log sds: within the market (a) and the median (b)")
    unc = pd.DataFrame(report["uncertainty"])
    unc["company"] = unc["company"].fillna("-")
    unc["years"] = unc["years"].map(lambda v: f"{v:.1f}")
    lines.append(unc[["country", "company", "level", "years", "median_usd", "median_low_usd", "median_high_usd",
                      "median_spread", "band_80_spread", "within_sd", "median_sd_high", "support"]].to_string(
        index=False, float_format=lambda v: f"{v:,.2f}" if abs(v) < 10 else f"{v:,.0f}"))
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog("python -m salarymodel.evaluate"),
                                     description="Evaluate a trained model: fidelity to every reported figure, "
                                                 "calibration, model comparison and median uncertainty.")
    parser.add_argument("--model", type=Path, default=None,
                        help="model folder (default: ./models if it holds a model, else the default model)")
    parser.add_argument("--json", action="store_true", help="emit the report as JSON")
    parser.add_argument("--no-compare", action="store_true", help="skip the model comparison (the slow part)")
    parser.add_argument("--no-validation", action="store_true",
                        help="skip leave-one-figure/source-out validation (it refits the whole pipeline per "
                        "figure, or per fold past 40)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    from .predict import load_for_cli

    args = build_parser().parse_args(argv)
    try:
        model = load_for_cli(args.model)
    except (ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = evaluation_report(model, compare=not args.no_compare, validation=not args.no_validation)
    print(json.dumps(report, indent=2, default=clean_json) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
