"""Honest bands: checked on figures and salaries the model never saw (issue 10)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salarymodel.evaluate import external_section
from salarymodel.provenance import SUPPORT_GRADES
from salarymodel.serve import GRID_STEP, YEARS_GRID
from salarymodel.validation import leave_one_figure_out, leave_one_source_out, validation_summary


@pytest.fixture(scope="module")
def lofo(plan):
    return leave_one_figure_out(plan)


def test_leave_one_figure_out_intervals_cover_close_to_nominal(lofo):
    summary = validation_summary(lofo)
    assert summary["figures"] == 25 and summary["not_estimable"] == 0
    # An 80% interval that holds 70-90% of unseen figures: honest, not padded.
    assert 0.70 <= summary["inside_interval"] <= 0.90
    # Measured 17.6% (issue 10 targets 12%; the figures that cannot be
    # predicted without themselves are listed in the README). A guard, so a
    # regression shows up.
    assert summary["median_abs_error"] <= 0.20


def test_a_held_out_employer_is_judged_as_an_unknown_employer(lofo):
    microsoft = lofo[lofo["id"] == "f22"].iloc[0]
    assert microsoft["reason"].startswith("employer unknown")
    market = lofo[lofo["id"] == "f21"].iloc[0]
    # The employer's interval adds the employer spread to the market's.
    assert microsoft["interval_factor"] > market["interval_factor"]


def test_leave_one_source_out_names_what_cannot_be_estimated(plan):
    table = leave_one_source_out(plan)
    germany = table[table["country"] == "DE"]
    assert set(germany["held_out"]) == {"A1"}
    assert (germany["status"] == "not estimable").all()
    assert germany["reason"].str.contains("no figure of DE").all()
    payscale = table[table["held_out"] == "A0/Payscale"]
    assert set(payscale["id"]) == {"f05", "f06", "f07"} and (payscale["status"] == "predicted").all()


def test_us_median_flattens_late_in_a_career(model):
    at15, at30 = model.predict("US", 15).median, model.predict("US", 30).median
    assert at30 <= 1.15 * at15
    assert 115_000 <= at30 <= 204_000  # f07: Payscale late career range


def test_medians_never_fall_with_years(model):
    for country, company in model.cells:
        frame = pd.DataFrame({"country": country, "company": company, "years": YEARS_GRID})
        medians = model.predict_frame(frame)["median"].to_numpy()
        assert np.all(np.diff(medians) >= -1e-9 * medians[:-1]), (country, company)


def test_unknown_indian_employer_band_holds_every_known_employer_median(model):
    for years in (1.0, 5.0, 12.0):
        unknown = model.predict("India", years, "Some Startup Pvt Ltd")
        assert not unknown.company_known
        for company in model.companies["IN"]:
            median = model.predict("India", years, company).median
            assert unknown.low <= median <= unknown.high, (years, company)


def test_sources_disagreeing_widen_the_band(model):
    # Germany rests on one source: its band carries the pooled between-source
    # spread on top of the salary spread that source reported.
    plan = model.plan
    assert plan.effects.market_noise("DE") > 0
    e = model.predict("Germany", 5)
    reported_width = 80_000 / 60_000  # f18, the 25th-75th percentile
    assert e.high / e.low > reported_width ** (1.2816 / 0.6745)


def test_real_us_salaries_fall_inside_the_band_per_level(model):
    external = external_section(model)
    cells = pd.DataFrame(external["year_matched"]["cells"])
    us = cells[(cells["country"] == "US") & cells["judged"] & (cells["experience_level"] != "ALL")]
    assert set(us["experience_level"]) >= {"EN", "MI", "SE"}
    assert (us["share_inside"] >= 0.60).all(), us[["experience_level", "share_inside"]]
    assert "self-reported" in external["population_note"]
    # The model sits below the job-board population, and the report says how far.
    assert (us["median_ratio"] < 1).all()
    # The next year's salaries, against estimates aged to that year's money: a sample ten times larger.
    later = pd.DataFrame(external["next_year"]["cells"])
    later_us = later[(later["country"] == "US") & later["judged"] & (later["experience_level"] != "ALL")]
    assert set(later_us["experience_level"]) == {"EN", "MI", "SE", "EX"} and (later_us["n"] >= 30).all()
    assert (later_us["share_inside"] >= 0.60).all(), later_us[["experience_level", "share_inside"]]


def test_support_labels_do_not_flicker_at_level_edges(model):
    shortest = 0.5 / GRID_STEP  # grid points in half a year
    for k, cell in enumerate(model.cells):
        labels = model.support_table[k]
        edges = np.flatnonzero(np.diff(labels)) + 1
        runs = np.diff(np.concatenate([[0], edges, [len(labels)]]))
        assert runs[:-1].min(initial=len(labels)) >= shortest, (cell, [SUPPORT_GRADES[g] for g in labels[edges]])
