"""Evaluation report. It leads with evidence from data the model never saw:

1. validation: leave one figure out and leave one source out (refit the
   measurement model without them, judge each held-out statistic against
   its posterior predictive interval), beside a no-model peer baseline;
2. the external check against real, self-reported salaries;

then fidelity to every reported figure, coverage of fresh posterior
engineers, the served tables beside other regressions fitted to the same
engineers, and the median's own uncertainty.

Run ``python -m salarymodel.evaluate [--model DIR] [--json] [--no-compare] [--no-validation] [--recompute]``.
The validation and the comparison are read from the model card where the
training run computed them (``train --validate --compare``, as the shipped
model was trained); ``--recompute`` computes them again.
Two focused reports replace the full one: ``--real FILE`` scores a file of
real salaries against the served bands (:mod:`salarymodel.evidence.real`);
``--measurement [--records FILE]`` fits the measurement model of the
sources and checks its posterior (:mod:`salarymodel.evidence.measurement`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from ..evidence.report import clean_json, evaluation_report
from ..serving.model_io.card import real_growth_text, several_text
from ..training.state_file import training_state
from ._format import text_columns
from .prog import prog

__all__ = ["evaluation_report", "format_report", "main"]


def _validation_lines(name: str, part: dict) -> list[str]:
    s = part["summary"]
    head = f"{name}: {s['figures']} figures predicted, {s['not_estimable']} not estimable; median |error| " + (
        f"{s['median_abs_error']:.1%}, inside the 80% posterior predictive interval {s['inside_interval']:.0%}"
        if s["figures"]
        else "n/a"
    )
    if s["spread_figures"]:
        head += (
            f"; the widths of the {s['spread_figures']} figures that report a spread inside the 80% interval "
            f"of the refit's width: {s['spread_inside_interval']:.0%}"
        )
    head += (
        f"; largest change of another country's market median: {s['max_median_change_other_country']:.1%} "
        f"at the years its figures describe, {s['max_median_change_other_country_all_years']:.1%} "
        "over 0-30 years"
    )
    sampled = s["refits_sampled"]
    head += f"; {s['refits'] - len(sampled)} of {s['refits']} refits reweighted (largest Pareto k {s['max_pareto_k']:.2f})"
    if sampled:
        head += f", sampled again: {', '.join(sampled)}"
    if s["refits_failing_diagnostics"]:
        head += f"; refits failing their sampler diagnostics: {', '.join(s['refits_failing_diagnostics'])}"
    table = pd.DataFrame(part["figures"])
    columns = ["id", "held_out", "statistic", "country", "company", "reported_usd", "model_usd", "relative_error"]
    columns += ["percentile", "width_inside", "median_change_other", "inside_interval", "status"]
    shown = table.reindex(columns=columns).copy()
    # Where the reported value fell in the refit's predictive.
    shown["percentile"] = pd.to_numeric(shown["percentile"], errors="coerce").map(lambda p: "" if p != p else f"{p:.0%}")
    text_columns(shown, amounts=("reported_usd", "model_usd"), changes=("relative_error", "median_change_other"))
    shown = shown.fillna("-")
    return [head, shown.to_string(index=False), ""]


def _peer_baseline_lines(part: dict) -> list[str]:
    s = part["summary"]
    if not s["figures"]:
        return ["PEER BASELINE: no figure has a peer (another source's same statistic for its cell)", ""]
    table = text_columns(pd.DataFrame(part["figures"]), amounts=("reported_usd", "baseline_usd"), changes=("relative_error",))
    return [
        f"PEER BASELINE (no model: each figure as the plain geometric mean of other sources' same statistic "
        f"for its cell; how much the sources disagree): {s['figures']} figures have a peer; median |error| "
        f"{s['median_abs_error']:.1%}, the model leaving each out {s['model_median_abs_error']:.1%}",
        table.to_string(index=False),
        "",
    ]


def _external_lines(external: dict) -> list[str]:
    lines = [
        f"EXTERNAL CHECK: real salaries inside the model's 80% band ({external['population_note']}); "
        "a report, not a target: bands are not widened to cover another population. Interval score in log "
        "salary (lower is better)"
    ]
    for key in ("year_matched", "next_year", "all_years"):
        part = external[key]
        table = pd.DataFrame(part["cells"])
        lines.append(f"  {part['year_scope']} (judged when n >= {part['min_answers']}):")
        shown = table[
            [
                "country",
                "experience_level",
                "n",
                "judged",
                "share_inside",
                "model_median_usd",
                "real_median_usd",
                "median_ratio",
                "model_low_usd",
                "model_high_usd",
                "interval_score",
            ]
        ]
        lines += [shown.to_string(index=False, float_format=lambda v: f"{v:,.2f}" if abs(v) < 10 else f"{v:,.0f}"), ""]
    return lines


def _money_lines(money: dict, reference_year: int) -> list[str]:
    lines = [
        f"MONEY OVER TIME: older figures aged to 1 July {reference_year} with wage indices "
        "(beside what consumer prices would give)"
    ]
    if money["figures"]:
        table = pd.DataFrame(money["figures"])
        lines.append(
            table[
                [
                    "id",
                    "country",
                    "year",
                    "currency",
                    "reported",
                    "wage_factor",
                    "cpi_factor",
                    "aged_with_wages",
                    "aged_with_cpi",
                    "change_vs_cpi",
                ]
            ].to_string(index=False, float_format=lambda v: f"{v:.4f}" if abs(v) < 10 else f"{v:,.0f}")
        )
    serving = money["serving"]
    for country, index in serving["wage_indices"].items():
        lines.append(
            f"  {country}: {index['series']}; published to {index['last_published']}, then "
            f"{index['projection_rate']:+.1%} a year (projected estimates are flagged), at most to "
            f"{index['projected_at_most_to']}; its annual rate varies by {index['projection_rate_sd']:.2%} (sd) year to year"
        )
    lines += [f"  FX: {serving['fx']['source']}, {serving['fx']['months']}", ""]
    return lines


def format_report(report: dict) -> str:
    """The report as text tables."""
    lines = []
    if "validation" in report:
        validation = report["validation"]
        sampler = validation.get("refit_sampler")
        how = (
            "each refit is the measurement model's posterior without them: the full fit's draws "
            "reweighted by Pareto-smoothed importance sampling, or sampled again where the weights' "
            f"Pareto k exceeds {validation['max_pareto_k']}"
        ) + (
            f" ({sampler['chains']} chains x {sampler['samples']} draws after {sampler['warmup']} warm-up; "
            f"split R-hat at most {sampler['limits']['r_hat_max']}, bulk and tail ESS at least "
            f"{sampler['limits']['ess_bulk_min']:.0f})"
            if sampler
            else ""
        )
        lines.append(f"VALIDATION ON FIGURES THE MODEL NEVER SAW ({how}; {validation['interval']}; from {validation['from']})")
        lines += _validation_lines("LEAVE ONE FIGURE OUT", report["validation"]["leave_one_figure_out"])
        lines += _validation_lines("LEAVE ONE SOURCE OUT", report["validation"]["leave_one_source_out"])
        lines += _peer_baseline_lines(report["validation"]["peer_baseline"])
    lines += _external_lines(report["external"])
    lines += _money_lines(report["money"], report["model"]["reference_year"])
    fid = report["fidelity"]
    s = fid["summary"]
    lines += [
        f"FIDELITY: {s['reproduced']} of {s['statistics']} reported statistics reproduced within "
        f"{fid['tolerance']:.0%} ({fid['spread_tolerance']:.0%} for percentiles and range ends), "
        f"{s['not_reproduced']} not (reason given), {s['excluded']} excluded; "
        f"median |error| {s['median_abs_relative_error']:.1%}; inside 80% band {s['inside_80_band']:.0%}, "
        f"95% band {s['inside_95_band']:.0%}",
        "",
    ]
    table = pd.DataFrame(fid["figures"])
    shown = table[
        [
            "id",
            "statistic",
            "country",
            "company",
            "level",
            "reported_usd",
            "model_usd",
            "relative_error",
            "in_band_80",
            "in_band_95",
            "status",
            "reason",
        ]
    ].copy()
    text_columns(shown, amounts=("reported_usd", "model_usd"), changes=("relative_error",))
    shown["company"] = shown["company"].fillna("-")
    shown["country"] = shown["country"].fillna("-")
    lines += [shown.to_string(index=False), ""]
    cal = report["calibration"]
    lines.append(
        f"CONSISTENCY WITH THE GENERATOR (not a test against reality): band coverage of {cal['rows']:,} "
        f"engineers drawn by the generator (seed {cal['holdout_seed']}):"
    )
    countries = sorted(next(iter(cal["levels"].values()))["by_country"])
    level_names = sorted(next(iter(cal["levels"].values()))["by_level"])
    lines.append(
        f"{'nominal':>8} {'overall':>8} "
        + " ".join(f"{c:>6}" for c in countries)
        + " "
        + " ".join(f"{n:>7}" for n in level_names)
        + f" {'width':>6}"
    )
    for key, level in cal["levels"].items():
        lines.append(
            f"{key:>8} {level['overall']:>8.3f} "
            + " ".join(f"{level['by_country'][c]:>6.3f}" for c in countries)
            + " "
            + " ".join(f"{level['by_level'][n]:>7.3f}" for n in level_names)
            + f" {level['mean_relative_width']:>6.2f}"
        )
    lines.append("")
    if "comparison" in report:
        comp = report["comparison"]
        lines.append(
            f"MODEL COMPARISON (train seed {comp['train_seed']}, held-out seed {comp['holdout_seed']}, "
            f"{comp['rows']:,} rows each; from {comp['from']}):"
        )
        frame = pd.DataFrame(
            [
                {
                    "model": r["name"],
                    "calibrated": "yes" if r["calibrated"] else "no",
                    "cov50": r["coverage"]["0.5"],
                    "cov80": r["coverage"]["0.8"],
                    "cov90": r["coverage"]["0.9"],
                    "cov95": r["coverage"]["0.95"],
                    "worst country dev": r["worst_country_deviation"],
                    "80% width": r["band_80_relative_width"],
                    "reproduced": r["fidelity_reproduced"],
                    "median |err|": r["fidelity_median_abs_error"],
                    "fit s": r["fit_seconds"],
                    "us/row": r["predict_microseconds_per_row"],
                }
                for r in comp["candidates"]
            ]
        )
        lines += [
            frame.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            f"served: {comp['served']}; the others are fitted to the same engineers for comparison ({comp['calibrated_rule']})",
            "",
        ]
    if "sharpness" in report and not report["sharpness"]["summary"].get("figures"):
        lines += [
            "SHARPNESS ON FIGURES THAT REPORT A SPREAD: none of this model's figures reports a spread (a "
            "range or percentiles), so there is nothing to score.",
            "",
        ]
    elif "sharpness" in report:
        sharp = report["sharpness"]
        s = sharp["summary"]
        lines.append(
            f"SHARPNESS ON FIGURES THAT REPORT A SPREAD ({sharp['note']}): {s['figures']} figures; "
            f"coverage {s['coverage']:.0%}, interval score {s['interval_score']:.3f}, width {s['width']:.3f}"
        )
        table = pd.DataFrame(sharp["figures"])
        table["company"] = table["company"].fillna("-")
        lines += [table.to_string(index=False, float_format=lambda v: f"{v:.3f}"), ""]
    lines.append(
        "ESTIMATE UNCERTAINTY (USD): median, its own 80% interval (the median's uncertainty, part b), the "
        "80% band's spread, and the band's two parts as log sds: within the market (a) and the median (b)"
    )
    unc = pd.DataFrame(report["uncertainty"])
    unc["company"] = unc["company"].fillna("-")
    unc["years"] = unc["years"].map(lambda v: f"{v:.1f}")
    lines.append(
        unc[
            [
                "country",
                "company",
                "level",
                "years",
                "median_usd",
                "median_low_usd",
                "median_high_usd",
                "median_spread",
                "band_80_spread",
                "within_sd",
                "median_sd_high",
                "support",
            ]
        ].to_string(index=False, float_format=lambda v: f"{v:,.2f}" if abs(v) < 10 else f"{v:,.0f}")
    )
    return "\n".join(lines)


def _share(part: dict) -> str:
    if part["share"] is None:
        return "-"
    low, high = part["interval_95"]
    return f"{part['share']:.0%} ({low:.0%}-{high:.0%})"


def format_real(report: dict) -> str:
    """The real-salary check as text: one table per country, the model beside two baselines."""
    lines = [
        f"REAL SALARIES AGAINST THE SERVED BANDS: {report['scored']:,} of {report['file_rows']:,} rows scored ({report['money']})"
    ]
    skipped = {k: v for k, v in report["skipped"].items() if v}
    if skipped:
        lines.append("skipped: " + ", ".join(f"{v:,} {k}" for k, v in skipped.items()))
    for code, parts in report["countries"].items():
        table = pd.DataFrame(
            [
                {
                    "scored by": name.replace("_", " "),
                    "n": part["n"],
                    **{f"inside {lv}% band (95% interval)": _share(part[f"coverage_{lv}"]) for lv in (50, 80, 90)},
                    "CRPS": f"{part['crps']:.3f}",
                    "interval score 80%": f"{part['interval_score_80']:.3f}",
                }
                for name, part in parts.items()
            ]
        )
        lines += ["", f"{code}: real / served median {parts['model']['median_ratio']:.2f}", table.to_string(index=False)]
    return "\n".join(lines)


def format_measurement(report: dict) -> str:
    """The measurement model's report as text."""
    d = report["diagnostics"]
    lines = [
        f"MEASUREMENT MODEL OF THE SOURCES ({report['library']} {report['sampler']}, seed {report['seed']}, "
        f"{d['draws']:,} draws, {report['records']:,} records)",
        f"diagnostics: max split R-hat {d['r_hat_max']:.3f}, min bulk ESS {d['ess_bulk_min']:.0f}, min tail ESS "
        f"{d['ess_tail_min']:.0f}, {d['divergences']} divergences: "
        + ("pass" if report["diagnostics_pass"] else "FAIL: " + "; ".join(report["diagnostics_problems"])),
        "",
        "hyperparameters (posterior median, 80% interval; the prior's beside it):",
    ]
    parameters = {**report["hyperparameters"], **{f"share of {k}": v for k, v in report.get("level_mix", {}).items()}}
    for name, v in parameters.items():
        prior = v.get("prior")
        beside = f"; prior {prior['median']:.3f} ({prior['low_80']:.3f}-{prior['high_80']:.3f})" if prior else ""
        lines.append(f"  {name}: {v['median']:.3f} ({v['low_80']:.3f}-{v['high_80']:.3f}){beside}")
    lines += [f"  {several_text(item)}" for item in report.get("several", [])]
    lines += [f"  {real_growth_text(item)}" for item in report.get("real_growth", [])]
    for code, v in report["countries"].items():
        slope, spread = v["mean_slope_0_12_years"], v["spread_at_5_years"]
        lines.append(
            f"  {code}: median rises {slope['median']:.1%} a year from 0 to 12 years "
            f"({slope['low_80']:.1%}-{slope['high_80']:.1%}); spread at 5 years {spread['median']:.2f} "
            f"({spread['low_80']:.2f}-{spread['high_80']:.2f}) log sd"
        )
    checks = report["predictive_checks"]
    lines += [
        "",
        f"posterior predictive check: {checks['inside']} of {checks['statistics']} statistics inside their "
        f"own 90% predictive interval",
    ]
    for item in checks["outliers"]:
        weight = "" if item["source_weight"] is None else f", its source's posterior weight {item['source_weight']:.2f}"
        lines.append(f"  outlier {item['id']} ({item['statistic']}): at the {item['percentile']:.0%} point{weight}")
    cells = pd.DataFrame(report["cells"])
    lines += [
        "",
        "one engineer's 80% band and the market median's 80% interval (reference-year money):",
        cells.to_string(index=False, float_format=lambda v: f"{v:,.2f}" if abs(v) < 10 else f"{v:,.0f}"),
    ]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog("python -m salarymodel.evaluate"),
        description="Evaluate a trained model: fidelity to every reported figure, "
        "calibration, model comparison and median uncertainty.",
    )
    parser.add_argument(
        "--model", type=Path, default=None, help="model folder (default: ./models if it holds a model, else the default model)"
    )
    parser.add_argument("--json", action="store_true", help="emit the report as JSON")
    parser.add_argument("--no-compare", action="store_true", help="skip the model comparison")
    parser.add_argument(
        "--no-validation",
        action="store_true",
        help="skip leave-one-figure/source-out validation (a refit of the measurement model per figure, "
        "or per fold past 40, where the model card does not hold it)",
    )
    parser.add_argument(
        "--recompute",
        action="store_true",
        help="compute the validation and the comparison again even where the model card holds them "
        "(train --validate / --compare wrote them; minutes)",
    )
    parser.add_argument(
        "--real",
        type=Path,
        default=None,
        metavar="FILE",
        help="only score a file of real salaries (columns country, years, company, salary, "
        "currency, year, pay, source) against the served bands, beside two no-model baselines",
    )
    parser.add_argument(
        "--population",
        default=None,
        metavar="NAME",
        help="with --real: score the bands as this population (a source of records the model was trained with) sees the market",
    )
    parser.add_argument(
        "--cross-validate",
        type=Path,
        default=None,
        metavar="FILE",
        help="train on the shipped figures and K-1 folds of this records file, score the held-out fold (as the "
        "market and as each row's own population, beside no-model baselines), for every fold; then pool",
    )
    parser.add_argument(
        "--folds", type=int, default=4, metavar="K", help="with --cross-validate: the number of folds, 2 to 20 (default 4)"
    )
    parser.add_argument(
        "--measurement",
        action="store_true",
        help="only fit the measurement model of the sources (NumPyro) and check its posterior",
    )
    parser.add_argument(
        "--records",
        type=Path,
        default=None,
        metavar="FILE",
        help="with --measurement: individual salaries that enter its likelihood",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    from .predict import load_for_cli

    args = build_parser().parse_args(argv)
    if args.cross_validate is not None:
        return _cross_validate(args)
    try:
        model = load_for_cli(args.model)
    except (ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.real is not None or args.measurement:
        return _focused(args, model)
    report = evaluation_report(model, compare=not args.no_compare, validation=not args.no_validation, recompute=args.recompute)
    print(json.dumps(report, indent=2, default=clean_json) if args.json else format_report(report))
    return 0


def _tell(text: str) -> None:
    """Progress of long work, on standard error (standard output is the report)."""
    print(text, file=sys.stderr, flush=True)


def _focused(args, model) -> int:
    """``--real FILE`` or ``--measurement``: one report, not the full evaluation."""
    from ..data.records import load_records
    from ..errors import FiguresError

    try:
        records = (
            load_records(args.real if args.real is not None else args.records, progress=_tell)
            if (args.real is not None or args.records is not None)
            else None
        )
    except FiguresError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.real is not None:
        from ..evidence.real import real_salary_section

        try:
            report = real_salary_section(model, records, args.population)
        except ValueError as error:  # an unknown population; rows that cannot be put in its money
            print(f"error: {error}", file=sys.stderr)
            return 2
        text = format_real
    else:
        from ..data.training_data import with_records
        from ..evidence.measurement import measurement_section

        try:
            trained = training_state(model).training_data
            data = trained if records is None else with_records(trained, records)
            report = measurement_section(data, seed=model.core.metadata.seed)
        except (ModuleNotFoundError, ValueError) as error:  # no NumPyro; records a country cannot age
            print(f"error: {error}", file=sys.stderr)
            return 2
        text = format_measurement
    print(json.dumps(report, indent=2, default=clean_json) if args.json else text(report))
    return 0


def _cross_validate(args) -> int:
    """``--cross-validate FILE [--folds K]``: train on K - 1 folds, score the held-out one."""
    from ..data.records import load_records
    from ..errors import FiguresError
    from ..evidence.cross_validation import MAX_FOLDS, cross_validation_section
    from ..pipeline import train

    if not 2 <= args.folds <= MAX_FOLDS:
        print(f"error: The '--folds' option must be a whole number from 2 to {MAX_FOLDS}. Got {args.folds}.", file=sys.stderr)
        return 2
    try:
        records = load_records(args.cross_validate, progress=_tell)
    except FiguresError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if len(records) < args.folds:
        print(f"error: {args.cross_validate} has {len(records)} rows, fewer than --folds {args.folds}.", file=sys.stderr)
        return 2
    try:
        report = cross_validation_section(
            records,
            lambda rows: train(records=rows).model,
            folds=args.folds,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except (ValueError, RuntimeError) as error:  # rows a training refuses; a fit that fails its diagnostics
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2, default=clean_json) if args.json else format_cross_validation(report))
    return 0


def format_cross_validation(report: dict) -> str:
    """The cross-validation as text: per country, the pooled held-out rows by scorer, then each fold."""
    lines = [
        f"CROSS-VALIDATION: {report['rows']:,} records in {report['k']} folds (seed {report['seed']}); each fold "
        "scored by the model trained on the others"
    ]
    for code, parts in report["pooled"].items():
        table = pd.DataFrame(
            [
                {
                    "scored by": name.replace("_", " "),
                    "n": part["n"],
                    **{f"inside {lv}% band (95% interval)": _share(part[f"coverage_{lv}"]) for lv in (50, 80, 90)},
                    "CRPS": "-" if part["crps"] is None else f"{part['crps']:.3f}",
                    "interval score 80%": "-" if part["interval_score_80"] is None else f"{part['interval_score_80']:.3f}",
                }
                for name, part in parts.items()
            ]
        )
        lines += ["", f"{code}, all folds pooled:", table.to_string(index=False)]
    lines.append("")
    for fold in report["folds"]:
        crps = {c: p["model"]["crps"] for c, p in fold["market"]["countries"].items()}
        lines.append(
            f"fold {fold['fold']}: {fold['rows']:,} rows held out; market CRPS "
            + ", ".join(f"{c} {v:.3f}" for c, v in crps.items())
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
