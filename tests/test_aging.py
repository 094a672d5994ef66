"""Today's money: estimates aged to a date the user picks."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from salarymodel.data.shipped import raw_data_file
from salarymodel.serving.grid import interpolate


def _published(country: str) -> pd.DataFrame:
    """A country's rows of the shipped wage-index file, with month numbers."""
    table = pd.read_csv(raw_data_file("wage_index.csv"))
    rows = table[table["country"] == country].reset_index(drop=True)
    rows["month"] = [int(p[:4]) * 12 + int(p[5:]) - 1 for p in rows["period"]]
    return rows


def _month(year: int, month: int) -> int:
    return year * 12 + month - 1


def _ecb_monthly_mean(currency: str, year: int, month: int) -> float:
    """Units per USD averaged over the month's calendar days, straight from currencyconverter."""
    from currency_converter import CurrencyConverter

    converter = CurrencyConverter(fallback_on_missing_rate=True)
    day = dt.date(year, month, 1)
    values = []
    while day.month == month:
        values.append(converter.convert(1.0, "USD", currency, date=day))
        day += dt.timedelta(days=1)
    return sum(values) / len(values)


def test_reference_date_gives_the_2023_figure_exactly(model):
    estimate = model.predict("Germany", 5, as_of="2023-07-01")
    market = model.core.cells.index(("DE", None))
    reference_eur = math.exp(float(interpolate(model.tables.median[market], 5.0))) * model.core.per_usd["EUR"]
    assert estimate.median == pytest.approx(reference_eur, rel=1e-6)
    assert (estimate.as_of, estimate.projected) == ("2023-07-01", False)
    # A date resolves to its month.
    assert model.predict("Germany", 5, as_of="2023-07-20").median == estimate.median


def test_2026_money_is_higher_by_the_shipped_wage_movement(model):
    base = model.predict("Germany", 5, as_of="2023-07-01")
    later = model.predict("Germany", 5, as_of="2026-07-01")
    rows = _published("DE")
    logs = np.concatenate([[0.0], np.cumsum(np.log1p(rows["change_pct"].iloc[1:].to_numpy() / 100))])
    at_2023 = np.interp(_month(2023, 7), rows["month"], logs)
    last_month, last_change = rows["month"].iloc[-1], rows["change_pct"].iloc[-1] / 100
    # Past the last published value the last published movement carries on.
    at_2026 = logs[-1] + math.log1p(last_change) * (_month(2026, 7) - last_month) / 12
    expected = math.exp(at_2026 - at_2023)
    assert later.median / base.median == pytest.approx(expected, rel=1e-9)
    assert later.low / base.low == pytest.approx(expected, rel=1e-9)
    assert later.projected and later.as_of == "2026-07-01"
    # The projection rate is the user's to set.
    slower = model.predict("Germany", 5, as_of="2026-07-01", aging_rate=0.02)
    assert slower.median / base.median == pytest.approx(
        math.exp(logs[-1] - at_2023 + math.log1p(0.02) * (_month(2026, 7) - last_month) / 12), rel=1e-9
    )


def test_published_months_are_not_flagged_projected(model):
    last = _published("US")["period"].iloc[-1]
    assert not model.predict("US", 5, as_of=f"{last}-01").projected
    assert model.predict("US", 5, as_of="2025-06-01").projected


@pytest.mark.parametrize(
    "as_of, error, message",
    [
        ("2019-01-01", ValueError, "before the oldest reported figure"),
        ("2026-13-01", ValueError, "YYYY-MM-DD"),
        ("next year", ValueError, "YYYY-MM-DD"),
        (2026, TypeError, "must be a date"),
        ("2031-01-01", ValueError, "projected at most"),
    ],
)
def test_bad_or_unsupported_dates_are_named(model, as_of, error, message):
    with pytest.raises(error, match=message):
        model.predict("Germany", 5, as_of=as_of)


def test_bad_aging_rate_is_named(model):
    with pytest.raises(ValueError, match="aging_rate"):
        model.predict("Germany", 5, as_of="2026-07-01", aging_rate=4.0)


def test_usd_for_india_uses_the_ecb_rate_of_the_as_of_month(model):
    rupees = model.predict("India", 5, as_of="2026-06-15")
    dollars = model.predict("India", 5, currency="USD", as_of="2026-06-15")
    inr_per_usd = _ecb_monthly_mean("INR", 2026, 6)
    assert dollars.fx_period == "2026-06" and rupees.fx_rate == pytest.approx(inr_per_usd, rel=1e-9)
    assert dollars.median == pytest.approx(rupees.median / inr_per_usd, rel=1e-9)
    # ... and not the 2023 one the model was fitted in.
    assert abs(inr_per_usd / model.core.per_usd["INR"] - 1) > 0.02


def test_a_month_without_an_ecb_rate_is_named(model):
    last = model.core.money.fx_last_month
    after = f"{(last + 1) // 12}-{(last + 1) % 12 + 1:02d}-01"
    assert model.predict("India", 5, as_of=after).currency == "INR"  # aging needs no rate
    with pytest.raises(ValueError, match="'as_of'.*INR to USD.*shipped rates end"):
        model.predict("India", 5, currency="USD", as_of=after)


def test_default_is_today_clamped_and_recorded(model):
    estimate = model.predict("Germany", 5)
    today = dt.datetime.now(dt.UTC).date()
    latest = model.core.money.latest_date("DE")
    assert estimate.as_of == min(today, latest).isoformat()
    assert model.predict("Germany", 5, as_of=estimate.as_of).median == estimate.median


def test_predict_frame_and_explain_age_like_predict(model):
    frame = pd.DataFrame({"country": ["DE", "India", "US"], "years": [5.0, 2.0, 9.0], "company": [None, "TCS", None]})
    scored = model.predict_frame(frame, as_of="2025-03-01", currency="EUR")
    for row, out in zip(frame.itertuples(), scored.itertuples()):
        one = model.predict(row.country, row.years, row.company, as_of="2025-03-01", currency="EUR")
        assert out.median == pytest.approx(one.median, rel=1e-9) and out.as_of == "2025-03-01"
        assert out.projected == one.projected
    table = model.explain("Germany", 4, as_of="2025-03-01").set_index("id")
    factor = (
        model.predict("Germany", 4, as_of="2025-03-01").median
        / model.predict("Germany", 4, as_of=model.core.reference_date).median
    )
    assert table.at["f18", "reported"] == pytest.approx(60_000 * factor)


def test_report_shows_what_wage_aging_changed(model):
    from salarymodel.cli.evaluate import _money_lines
    from salarymodel.evidence.report import money_section

    money = money_section(model)
    assert {r["id"] for r in money["figures"]} == {"f20", "f21", "f22", "f23", "f24", "f25", "f26"}
    f20 = next(r for r in money["figures"] if r["id"] == "f20")
    assert f20["aged_with_wages"] == pytest.approx(146_085 * f20["wage_factor"])
    assert f20["change_vs_cpi"] == pytest.approx(f20["wage_factor"] / f20["cpi_factor"] - 1)
    assert f20["aged_with_wages"] < f20["aged_with_cpi"]  # US pay rose less than US prices 2019-2023
    text = "\n".join(_money_lines(money, 2023))
    assert "MONEY OVER TIME" in text and "f20" in text and "146,085" in text
    assert set(money["serving"]["wage_indices"]) == {"US", "DE", "IN"}


def test_cli_takes_as_of_and_reports_it(model_dir):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "salarymodel",
            "predict",
            "--model",
            str(model_dir),
            "--country",
            "India",
            "--years",
            "3",
            "--currency",
            "USD",
            "--as-of",
            "2026-02",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["as_of"], data["fx_period"], data["currency"]) == ("2026-02-01", "2026-02", "USD")
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "salarymodel",
            "predict",
            "--model",
            str(model_dir),
            "--country",
            "India",
            "--years",
            "3",
            "--as-of",
            "2019-02-01",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "oldest reported figure" in bad.stderr
