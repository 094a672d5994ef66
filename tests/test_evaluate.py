"""The evaluation report: every figure, calibration, comparison, uncertainty."""

from __future__ import annotations

import json

import numpy as np
import pytest

from salarymodel import load_model
from salarymodel.cli.evaluate import format_report
from salarymodel.data.shipped import raw_data_file
from salarymodel.data.statistics import statistic_kind
from salarymodel.evidence import report as report_module
from salarymodel.evidence.report import clean_json, compare_models, evaluation_report
from salarymodel.serving.model_io.folder import read_card
from salarymodel.serving.model_io.paths import shipped_model_dir


@pytest.fixture(scope="module")
def report(evaluation_json):
    # The report as `evaluate --json --no-compare` prints it for the session's model
    # (run once per session: validation refits the pipeline many times).
    return evaluation_json


def test_fidelity_reports_every_figure_with_a_status_and_reason(report, training_data):
    figures = report["fidelity"]["figures"]
    assert {f["id"] for f in figures} == {f"f{i:02d}" for i in range(1, 28)}
    assert len(figures) == len(training_data.figures)
    for figure in figures:
        assert figure["status"] in ("reproduced", "not reproduced", "excluded") and figure["reason"]
        if figure["status"] == "reproduced":
            assert abs(figure["relative_error"]) <= statistic_kind(figure["statistic"]).tolerance
        if figure["status"] != "excluded":
            assert figure["model_usd"] > 0 and isinstance(figure["in_band_80"], bool)
    status = {f["id"]: f["status"] for f in figures}
    assert status["f16"] == status["f27"] == "excluded"
    # Each German range is inside its 90% posterior predictive interval (test_bands.py);
    # the served median need not pass through each source's own view of its cell.
    assert status["f18"] == status["f19"] == "reproduced"


def test_calibration_is_within_two_points_overall_and_five_per_country(report):
    for key in ("0.5", "0.8", "0.9"):
        level = report["calibration"]["levels"][key]
        assert level["overall"] == pytest.approx(float(key), abs=0.02)
        for share in level["by_country"].values():
            assert share == pytest.approx(float(key), abs=0.05)
        assert level["mean_relative_width"] > 0


def test_card_carries_the_same_calibration_and_fidelity(report, model_dir):
    card = json.loads((model_dir / "salary_model.json").read_text())
    assert card["metrics"]["calibration"]["levels"] == report["calibration"]["levels"]
    assert card["metrics"]["fidelity"]["summary"] == report["fidelity"]["summary"]


def test_uncertainty_shows_the_bands_two_parts(report):
    rows = {(r["country"], r["company"], r["level"]): r for r in report["uncertainty"]}
    us_entry, de_mid = rows[("US", None, "entry")], rows[("DE", None, "mid")]
    # Germany rests on one source per level, US entry on nine: its median is better known.
    assert us_entry["median_spread"] < de_mid["median_spread"]
    for row in rows.values():  # the band holds the median's uncertainty and the spread within the market
        assert row["band_80_spread"] > row["median_spread"] and row["within_sd"] > 0


@pytest.mark.slow
def test_the_served_tables_are_compared_with_regressions_fitted_to_the_same_engineers(model):
    comparison = compare_models(model, rows_per_country=8000, seed=0)
    names = [c["name"] for c in comparison["candidates"]]
    assert len(names) == 3 and names[0] == comparison["served"] and any("gradient-boosted" in n for n in names)
    assert "QuantileCurves" in names[0] and not any("conformal" in n for n in names)
    served = comparison["candidates"][0]
    constant = next(c for c in comparison["candidates"] if "constant" in c["name"])
    # The served tables are the posterior predictive, so fresh engineers of it fall in their
    # bands as often as they claim; one global spread cannot be calibrated per country.
    assert served["calibrated"] and served["worst_country_deviation"] < constant["worst_country_deviation"]
    for candidate in comparison["candidates"]:
        assert set(candidate["coverage"]) == {"0.5", "0.8", "0.9", "0.95"}
        assert candidate["fit_seconds"] >= 0 and candidate["band_80_relative_width"] > 0


def test_evaluate_reads_the_validation_and_comparison_its_card_holds(monkeypatch):
    # The shipped model was trained with --validate --compare: its evaluation reads both
    # from the card written with it, instead of refitting for minutes; --recompute refits.
    card = read_card(shipped_model_dir())
    stored = card["metrics"]["validation"], card["metrics"]["model_comparison"]
    assert isinstance(stored[0], dict) and isinstance(stored[1], dict)

    def refuse(*args, **kwargs):
        raise AssertionError("recomputed a section the card holds")

    monkeypatch.setattr(report_module, "validation_section", refuse)
    monkeypatch.setattr(report_module, "compare_models", refuse)
    model = load_model(shipped_model_dir())
    data = json.loads(json.dumps(evaluation_report(model), default=clean_json))
    assert data["validation"]["from"] == report_module.FROM_CARD.format(flag="--validate")
    assert data["comparison"]["from"] == report_module.FROM_CARD.format(flag="--compare")
    assert data["validation"]["leave_one_figure_out"] == stored[0]["leave_one_figure_out"]
    assert data["comparison"]["candidates"] == stored[1]["candidates"]
    text = format_report(data)
    assert "from the model card: computed when this model was trained (--validate)" in text
    assert "from the model card: computed when this model was trained (--compare)" in text
    with pytest.raises(AssertionError, match="recomputed"):
        evaluation_report(model, recompute=True)
    markdown = (shipped_model_dir() / "salary_model.md").read_text()
    assert f"- each figure left out: {stored[0]['leave_one_figure_out']['summary']['figures']} figures predicted" in markdown


def test_evaluate_cli_emits_json_for_every_figure(evaluation_json):
    data = evaluation_json
    assert len({f["id"] for f in data["fidelity"]["figures"]}) == 27
    # Sharpness beside coverage, on the served band alone.
    sharp = data["sharpness"]["summary"]
    assert sharp["figures"] == 10 and sharp["interval_score"] > 0 and "previous_interval_score" not in sharp
    text = format_report(data)  # the text the command prints is this report, formatted
    for section in ("EXTERNAL CHECK", "FIDELITY", "CONSISTENCY WITH THE GENERATOR", "ESTIMATE UNCERTAINTY"):
        assert section in text, section


@pytest.mark.slow
def test_the_validation_refits_the_posterior_and_sits_beside_the_peer_baseline(validation_json):
    data = validation_json
    # The default model's validation refits its posterior (no synthetic set to redraw,
    # so no seed spread: the sampler's Monte Carlo error is in its diagnostics).
    lofo = data["validation"]["leave_one_figure_out"]
    assert data["validation"]["refit"] == "posterior" and "seed_spread" not in lofo
    assert data["validation"]["from"] == "this evaluation"  # the session's model was trained without --validate
    assert len({f["id"] for f in lofo["figures"]}) == 25
    # The naive yardstick sits beside the model's error on the same figures.
    peers = data["validation"]["peer_baseline"]
    assert peers["summary"]["figures"] == len(peers["figures"]) > 0
    ids = {f["id"] for f in peers["figures"]}
    own = [max(abs(f["relative_error"]), abs(f["relative_error_high"] or 0)) for f in lofo["figures"] if f["id"] in ids]
    assert peers["summary"]["model_median_abs_error"] == pytest.approx(float(np.median(own)))
    # A source of one figure is that figure's refit; a larger source may start from a part's.
    loso = data["validation"]["leave_one_source_out"]["figures"]
    by_figure = {f["id"]: f for f in lofo["figures"]}
    alone = [row for row in loso if _members(row["held_out"], loso) == [row["id"]]]
    assert alone  # the shipped figures have sources of one figure (f20, f21)
    for row in alone:
        assert (row["refit"], row["refit_pareto_k"]) == (by_figure[row["id"]]["refit"], by_figure[row["id"]]["refit_pareto_k"])
    assert all(set(row["refit_from"].split(",")) < set(_members(row["held_out"], loso)) for row in loso if row["refit_from"])
    text = format_report(data)
    for section in ("LEAVE ONE FIGURE OUT", "LEAVE ONE SOURCE OUT", "PEER BASELINE"):
        assert section in text, section
    assert "each refit is the measurement model's posterior without them" in text
    assert "Pareto-smoothed importance sampling, or sampled again where" in text
    assert "refits reweighted (largest Pareto k" in text
    assert "largest change of another country's market median: " in text and "over 0-30 years" in text
    assert text.index("LEAVE ONE SOURCE OUT") < text.index("PEER BASELINE") < text.index("EXTERNAL CHECK")
    assert text.index("LEAVE ONE FIGURE OUT") < text.index("CONSISTENCY WITH THE GENERATOR")


def _members(label: str, rows: list[dict]) -> list[str]:
    """The figures one leave-one-source-out refit held out."""
    return [row["id"] for row in rows if row["held_out"] == label]


@pytest.mark.slow
def test_benchmark_runs_and_reports_every_measure():
    # Runs the benchmark on few rows so it cannot rot; speed is judged by
    # running it for real (README), never asserted in a unit test. Its large figures file
    # is the shipped file's rows (copies start after them): both trainings reuse the
    # run's shared posterior instead of sampling a new one (45 s less of CI).
    from benchmarks.run import format_report, run_benchmark

    with open(raw_data_file("reported_figures.csv"), encoding="utf-8") as stream:
        shipped_rows = sum(1 for _ in stream) - 1
    report = run_benchmark(rows=5000, repeat=1, memory_rows=20_000, web_seconds=0.5, figures=shipped_rows, records_rows=600)
    for key in (
        "training_seconds",
        "predict_microseconds",
        "baseline_one_row_microseconds",
        "predict_frame_rows_per_second",
        "baseline_rows_per_second",
        "import_load_first_predict_seconds",
    ):
        assert report[key] > 0
    assert report["predict_as_of_microseconds"] > 0 and report["rank_milliseconds"] > 0
    assert report["cli_batch_rows_per_second"] > 0 and "cold_start_imported_sklearn" in report
    assert len(report["targets"]) == 13 and report["batch_peak_megabytes"] > 0
    assert report["records_training"]["rows"] == 600 and report["records_training"]["seconds"] > 0
    scaling = report["training_scaling"]
    assert scaling["statistics"] == shipped_rows and scaling["shipped"]["peak_megabytes"] > 0
    assert scaling["large"]["seconds"] > 0 and scaling["time_ratio"] > 0 and scaling["memory_ratio"] > 0
    assert report["web"]["estimate"]["requests_per_second"] > 0 and report["web"]["bare"]["p99_ms"] > 0
    assert "targets:" in format_report(report)
