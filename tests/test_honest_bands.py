"""Honest bands: checked on figures and salaries the model never saw."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salarymodel.data.training_data import training_data as read_training_data
from salarymodel.evidence.report import external_section
from salarymodel.evidence.validation import peer_baseline, validation_summary
from salarymodel.serving.grid import GRID_STEP, YEARS_GRID
from salarymodel.training.provenance import SUPPORT_GRADES


@pytest.fixture(scope="module")
def lofo(validation_json):
    # The session's evaluation already refitted the posterior without each figure
    # (seed 0): read its table instead of sampling 25 posteriors again.
    return pd.DataFrame(validation_json["validation"]["leave_one_figure_out"]["figures"])


@pytest.mark.slow
def test_leave_one_figure_out_intervals_cover_close_to_nominal(lofo):
    summary = validation_summary(lofo)
    assert summary["figures"] == 25 and summary["not_estimable"] == 0
    # An 80% posterior predictive interval that holds 70-90% of unseen figures:
    # honest, not padded (measured 84% on seed 0).
    assert 0.70 <= summary["inside_interval"] <= 0.90
    # Measured 9.1% on seed 0; a guard, so a regression shows up.
    assert summary["median_abs_error"] <= 0.15


@pytest.mark.slow
def test_no_single_figure_moves_another_countrys_median_by_more_than_two_percent(validation_json):
    # Countries share only the source and employer scales: each figure's refit moves
    # the other countries' market medians, at the years their own figures describe,
    # by at most 2% (measured 1.5% on seed 0, f02; 1.8% over 0-30 years; refitting
    # with another seed and no figure removed moves them by up to about 1%).
    summary = validation_json["validation"]["leave_one_figure_out"]["summary"]
    assert summary["max_median_change_other_country"] <= 0.02
    assert summary["max_median_change_other_country"] <= summary["max_median_change_other_country_all_years"]
    assert summary["refits_failing_diagnostics"] == []


@pytest.mark.slow
def test_held_out_spreads_are_judged_against_the_refits_width(lofo, validation_json):
    summary = validation_json["validation"]["leave_one_figure_out"]["summary"]
    # Ten figures report a spread (ranges; f02's percentiles); their log widths
    # fall inside the refit's 80% interval of that width for 9 of 10 on seed 0.
    assert summary["spread_figures"] == 10 and summary["spread_inside_interval"] >= 0.7
    f02 = lofo[lofo["id"] == "f02"].iloc[0]
    assert f02["reported_width"] == pytest.approx(np.log(80_500 / 49_500))
    assert f02["model_width_low"] < f02["model_width"] < f02["model_width_high"]
    assert lofo.loc[lofo["statistic"] == "mean", "width_inside"].isna().all()  # a mean reports no spread


@pytest.mark.slow
def test_lowest_and_highest_site_means_are_read_as_order_statistics(lofo):
    by_id = lofo.set_index("id")
    assert "lowest of several" in by_id.at["f11", "reason"] and "highest of several" in by_id.at["f12", "reason"]
    # The lowest of several sites is predicted below a plain site mean (f13,
    # same cell), the highest above it; both with a narrower interval.
    assert by_id.at["f11", "model_usd"] < by_id.at["f13", "model_usd"] < by_id.at["f12", "model_usd"]

    def width(figure_id: str) -> float:
        return by_id.at[figure_id, "predictive_high_usd"] / by_id.at[figure_id, "predictive_low_usd"]

    assert width("f11") < width("f13") and width("f12") < width("f13")


@pytest.mark.slow
def test_a_held_out_employer_is_judged_as_an_unknown_employer(lofo):
    microsoft = lofo[lofo["id"] == "f22"].iloc[0]
    market = lofo[lofo["id"] == "f21"].iloc[0]
    assert "employer unknown" in microsoft["reason"]
    # The employer's interval adds the employer spread to the market's.
    assert (
        microsoft["predictive_high_usd"] / microsoft["predictive_low_usd"]
        > market["predictive_high_usd"] / market["predictive_low_usd"]
    )


def test_peer_baseline_averages_other_sources_same_statistic(training_data):
    table = peer_baseline(training_data).set_index("id")
    used = training_data.used_figures().set_index("id")
    # Only the US all-levels means share a cell and statistic with another source.
    assert list(table.index) == ["f01", "f08", "f11", "f12", "f13", "f14", "f20"]
    # f11 and f12 come from one source unit: never each other's peer.
    assert "f12" not in table.loc["f11", "peers"].split(",") and "f11" not in table.loc["f12", "peers"].split(",")
    for figure_id, row in table.iterrows():
        peers = row["peers"].split(",")
        expected = np.exp(np.log(used.loc[peers, "value_usd"].to_numpy(float)).mean())
        assert row["baseline_usd"] == pytest.approx(expected)
        assert row["relative_error"] == pytest.approx(expected / used.loc[figure_id, "value_usd"] - 1)


def test_peer_baseline_is_empty_when_no_figure_has_a_peer(training_data):
    alone = training_data.figures[~training_data.figures["id"].isin(["f08", "f11", "f12", "f13", "f14", "f20"])]
    smaller = read_training_data(alone.drop(columns="excluded").reset_index(drop=True), basis=training_data.basis)
    table = peer_baseline(smaller)
    assert table.empty and list(table.columns) == [
        "id",
        "country",
        "level",
        "statistic",
        "reported_usd",
        "peers",
        "baseline_usd",
        "relative_error",
    ]


@pytest.mark.slow
def test_leave_one_source_out_names_what_cannot_be_estimated(validation_json):
    table = pd.DataFrame(validation_json["validation"]["leave_one_source_out"]["figures"])
    germany = table[table["country"] == "DE"]
    assert set(germany["held_out"]) == {"A1/TechMinds"}  # TechMinds' three ranges, one site
    assert (germany["status"] == "not estimable").all()
    assert germany["reason"].str.contains("no figure of DE").all()
    payscale = table[table["held_out"] == "A0/Payscale"]
    assert set(payscale["id"]) == {"f05", "f06", "f07"} and (payscale["status"] == "predicted").all()


def test_us_median_flattens_late_in_a_career(model):
    at15, at30 = model.predict("US", 15).median, model.predict("US", 30).median
    assert at30 <= 1.15 * at15
    assert 115_000 <= at30 <= 204_000  # f07: Payscale late career range


def test_medians_never_fall_with_years(model):
    for country, company in model.core.cells:
        frame = pd.DataFrame({"country": country, "company": company, "years": YEARS_GRID})
        medians = model.predict_frame(frame)["median"].to_numpy()
        assert np.all(np.diff(medians) >= -1e-9 * medians[:-1]), (country, company)


def test_sources_disagreeing_widen_the_band(model):
    # Germany rests on one source: its band carries the pooled between-source
    # spread on top of the salary spread that source reported.
    e = model.predict("Germany", 5)
    reported_width = 80_000 / 60_000  # f18, the 25th-75th percentile
    assert e.high / e.low > reported_width ** (1.2816 / 0.6745)


def test_real_salary_check_reports_coverage_and_sharpness_per_level(model):
    external = external_section(model)
    cells = pd.DataFrame(external["year_matched"]["cells"])
    us = cells[(cells["country"] == "US") & cells["judged"] & (cells["experience_level"] != "ALL")]
    assert set(us["experience_level"]) >= {"EN", "MI", "SE"}
    # It says plainly what it compares: base pay against self-reported total pay.
    assert "self-reported" in external["population_note"] and "total gross pay" in external["population_note"]
    assert "base pay" in external["population_note"]
    # The model sits below the job-board population, and the report says how far.
    assert (us["median_ratio"] < 1).all()
    # Coverage comes with a proper score.
    assert us["interval_score"].notna().all() and (us["interval_score"] >= 0).all()
    # The next year's salaries, against estimates aged to that year's money: a sample ten times larger.
    later = pd.DataFrame(external["next_year"]["cells"])
    later_us = later[(later["country"] == "US") & later["judged"] & (later["experience_level"] != "ALL")]
    assert set(later_us["experience_level"]) == {"EN", "MI", "SE", "EX"} and (later_us["n"] >= 30).all()
    assert later_us["share_inside"].between(0, 1).all()


def test_support_labels_do_not_flicker_at_level_edges(model):
    shortest = 0.5 / GRID_STEP  # grid points in half a year
    for k, cell in enumerate(model.core.cells):
        labels = model.tables.support[k]
        edges = np.flatnonzero(np.diff(labels)) + 1
        runs = np.diff(np.concatenate([[0], edges, [len(labels)]]))
        assert runs[:-1].min(initial=len(labels)) >= shortest, (cell, [SUPPORT_GRADES[g] for g in labels[edges]])
