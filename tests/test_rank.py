"""Where a salary stands: rank() inverts percentiles() and agrees with the served
distribution drawn at random."""

from __future__ import annotations

import math

import numpy as np
import pytest

from salarymodel import SalaryRank, rank

AS_OF = "2023-07-01"
# A frame inverts each row's quantile function linearly between its levels 0.1 sd apart;
# just above the median the two-piece form bends inside the first step (its upper scale
# starts there), so a frame's percentile and rank's exact one agree to 0.01 points.
FRAME_TOLERANCE = 0.01


def _every_cell(model):
    return [(country, company) for country, company in model.core.cells]


@pytest.mark.parametrize("years", [0.0, 1.0, 4.3, 12.0, 35.0, (3, 5), (0.5, 20)])
def test_rank_inverts_percentiles_on_every_country_and_employer(model, years):
    for country, company in _every_cell(model):
        for q in (0.5, 10, 31, 50, 77.7, 99.5):
            salary = model.percentiles(country, years, company, q=(q,), as_of=AS_OF)[q]
            answer = model.rank(country, years, salary, company, as_of=AS_OF)
            assert answer.percentile == pytest.approx(q, abs=1e-6), (country, company, years, q)
            assert answer.beyond is None


@pytest.mark.parametrize(
    ("country", "years", "company", "salary"),
    [
        ("DE", 5.0, None, 70_000),
        ("US", 8.0, "TikTok", 180_000),
        ("IN", 2.0, None, 900_000),
        ("IN", 6.0, "Infosys", 700_000),
        ("US", (3, 5), None, 120_000),
    ],
)
def test_rank_is_the_share_of_engineers_below_in_a_draw_from_the_served_distribution(model, country, years, company, salary):
    levels = np.arange(0.05, 99.951, 0.1)
    values = np.array(list(model.percentiles(country, years, company, q=tuple(levels), as_of=AS_OF).values()))
    draws = np.interp(np.random.default_rng(0).uniform(levels[0], levels[-1], 100_000), levels, values)
    share_below = 100 * np.mean(draws < salary) * (levels[-1] - levels[0]) / 100 + levels[0]
    answer = model.rank(country, years, salary, company, as_of=AS_OF)
    assert answer.percentile == pytest.approx(share_below, abs=0.5)


def test_the_answer_carries_its_interval_gaps_and_compa_ratio(model):
    answer = model.rank("Germany", 5, 70_000, as_of=AS_OF)
    assert isinstance(answer, SalaryRank)
    assert answer.percentile_low < answer.percentile < answer.percentile_high
    estimate = model.predict("Germany", 5, as_of=AS_OF)
    assert answer.median == pytest.approx(estimate.median) and answer.currency == "EUR"
    assert answer.p75 == pytest.approx(model.percentiles("DE", 5, q=(75,), as_of=AS_OF)[75])
    assert answer.compa_ratio == pytest.approx(70_000 / estimate.median)
    assert answer.gap_to_median == pytest.approx(estimate.median - 70_000)
    assert answer.gap_to_p75 == pytest.approx(answer.p75 - 70_000)
    # Ranking the median of the median's interval ends gives the two ends of the percentile's.
    assert (
        model.rank("DE", 5, estimate.median_low, as_of=AS_OF).percentile
        < 50
        < model.rank("DE", 5, estimate.median_high, as_of=AS_OF).percentile
    )


def test_the_sentence_names_the_country_the_years_and_the_money(model):
    text = model.rank("DE", 5, 70_000, as_of=AS_OF).sentence()
    assert text.startswith("70,000 EUR is about the ") and "percentile for ML engineers in Germany with 5 years" in text
    assert "money of 2023-07-01" in text
    ranged = model.rank("IN", (3, 5), 1_000_000, "Infosys", as_of=AS_OF).sentence()
    assert "in India with 3-5 years of experience at Infosys" in ranged


def test_a_salary_beyond_what_the_tables_read_says_so(model):
    low = model.rank("DE", 5, 1, as_of=AS_OF)
    high = model.rank("DE", 5, 1e9, as_of=AS_OF)
    assert low.beyond == "below" and high.beyond == "above"
    assert low.percentile < 0.03 and high.percentile > 99.97
    assert "lower than what 99.98% of ML engineers in Germany" in low.sentence()


def test_a_salary_in_another_currency_is_converted_before_ranking(model):
    in_eur = model.rank("DE", 5, 70_000, as_of=AS_OF)
    rate = model.predict("DE", 5, currency="USD", as_of=AS_OF).median / model.predict("DE", 5, as_of=AS_OF).median
    in_usd = model.rank("DE", 5, 70_000 * rate, currency="USD", as_of=AS_OF)
    assert in_usd.percentile == pytest.approx(in_eur.percentile, abs=1e-6) and in_usd.currency == "USD"


# 10**400 overflowed float() (a bare OverflowError); 0.01 and 1e-300 were written
# "0 EUR", 1e308 as a number of 309 digits: a salary is refused outside one unit to a trillion.
@pytest.mark.parametrize("salary", [0, -5, math.nan, math.inf, 10**400, 0.01, 1e-300, 1e308, 2e12])
def test_a_salary_that_no_engineer_is_paid_is_refused_by_name(model, salary):
    with pytest.raises(ValueError, match="The 'salary' parameter of rank must be an annual base salary from 1 to "):
        model.rank("DE", 5, salary)


def test_the_salary_bounds_are_ranked(model):
    assert model.rank("IN", 0, 1).sentence().startswith("1 INR is lower than what")
    assert model.rank("US", 30, 1e12).sentence().startswith("1,000,000,000,000 USD is higher than what")


@pytest.mark.parametrize("salary", [True, "70000", None])
def test_a_salary_of_the_wrong_type_is_refused_by_name(model, salary):
    with pytest.raises(TypeError, match="The 'salary' parameter of rank must be a number"):
        model.rank("DE", 5, salary)


def test_the_default_model_answers_at_module_level():
    answer = rank("Germany", 5, 70_000)
    assert 0 < answer.percentile < 100 and answer.country == "DE"


def _profiles():
    import pandas as pd

    return pd.DataFrame(
        {
            "country": ["DE", "US", "IN", "IN", "DE", "DE"],
            "years": [5, 7.3, "3-5", 2, 5, 5],
            "company": [None, "TikTok", None, "Infosys", None, None],
            "salary": [70_000, 180_000, 900_000, 700_000, None, 1.0],
        }
    )


def test_a_salary_column_in_a_frame_gets_the_percentile_rank_gives(model):
    frame = _profiles()
    scored = model.predict_frame(frame, as_of=AS_OF)
    for row, result in zip(frame.itertuples(), scored.itertuples()):
        if row.salary != row.salary:  # no salary: nothing to rank
            assert result.percentile != result.percentile and result.compa_ratio != result.compa_ratio
            continue
        years = (3.0, 5.0) if row.years == "3-5" else row.years
        answer = model.rank(row.country, years, row.salary, row.company, as_of=AS_OF)
        assert result.percentile == pytest.approx(answer.percentile, abs=FRAME_TOLERANCE), row
        assert result.compa_ratio == pytest.approx(answer.compa_ratio, rel=1e-12)


def test_a_bad_salary_in_a_frame_is_one_bad_row_naming_the_column(model):
    import pandas as pd

    frame = pd.DataFrame({"country": ["DE", "DE"], "years": [5, 5], "salary": ["abc", "70000"]})
    scored = model.predict_frame(frame, errors="coerce", as_of=AS_OF)
    assert scored["error"].iloc[0].startswith("salary: must be empty, or an annual base salary from 1 to 1,000,000,000,000")
    assert scored["error"].iloc[1] == "" and scored["percentile"].iloc[1] == pytest.approx(
        model.rank("DE", 5, 70_000, as_of=AS_OF).percentile, abs=FRAME_TOLERANCE
    )


def test_the_command_line_the_api_and_both_batches_give_the_same_percentile(model, model_dir, tmp_path):
    import subprocess
    import sys

    import pandas as pd
    from fastapi.testclient import TestClient

    from salarymodel.web.app import create_app

    source, target = tmp_path / "offers.csv", tmp_path / "ranked.csv"
    source.write_text("country,years,company,salary\nDE,5,,70000\nUS,7.3,TikTok,180000\nIN,3-5,,900000\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "salarymodel",
            "predict",
            "--model",
            str(model_dir),
            "--input",
            str(source),
            "--output",
            str(target),
            "--as-of",
            AS_OF,
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    written = pd.read_csv(target)
    assert list(written.columns[-3:]) == ["percentile", "compa_ratio", "error"]
    expected = [
        model.rank("DE", 5, 70_000, as_of=AS_OF),
        model.rank("US", 7.3, 180_000, "TikTok", as_of=AS_OF),
        model.rank("IN", (3, 5), 900_000, as_of=AS_OF),
    ]
    # The file holds amounts to the cent and percentiles to two decimals.
    assert written["percentile"].tolist() == pytest.approx([a.percentile for a in expected], abs=0.006)
    client = TestClient(create_app(model))
    body = client.post(
        f"/api/v1/estimates?as_of={AS_OF}", content=source.read_bytes(), headers={"content-type": "text/csv"}
    ).json()
    assert [row["percentile"] for row in body["rows"]] == pytest.approx([a.percentile for a in expected], abs=FRAME_TOLERANCE)
    json_body = client.post(
        "/api/v1/estimates", json={"rows": [{"country": "DE", "years": 5, "salary": 70000}], "as_of": AS_OF}
    ).json()
    assert json_body["rows"][0]["percentile"] == pytest.approx(expected[0].percentile, abs=FRAME_TOLERANCE)
    # One offer on the command line and in the JSON API: the same number (the page reads the API;
    # its browser test checks what it shows).
    import json

    single = subprocess.run(
        [
            sys.executable,
            "-m",
            "salarymodel",
            "predict",
            "--model",
            str(model_dir),
            "--country",
            "IN",
            "--years",
            "3-5",
            "--salary",
            "900000",
            "--as-of",
            AS_OF,
            "--json",
        ],
        capture_output=True,
        text=True,
    )
    assert json.loads(single.stdout)["rank"]["percentile"] == pytest.approx(expected[2].percentile, abs=1e-9)
    api = client.get("/api/v1/rank", params={"country": "IN", "years": "3-5", "salary": 900000, "as_of": AS_OF})
    assert api.json()["percentile"] == pytest.approx(expected[2].percentile, abs=1e-9)
