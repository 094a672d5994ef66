"""The aging's uncertainty: past the reference month the median's interval widens
with the distance, by what the wage index itself and the real growth's posterior say."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from salarymodel import load_model
from salarymodel.data.aging import FALLBACK_RATE_SD, WageSeries, month_ordinal

Z80 = 1.2815515655446004  # the median interval's normal score
FORMAT_11 = Path(__file__).parent / "data" / "model_format_11"
REFERENCE = "2023-07-01"


def _series(changes, growth_sd=0.0) -> WageSeries:
    """An index published every July from 2019, moving by ``changes`` (log) a year."""
    months = np.array([month_ordinal(2019 + i, 7) for i in range(len(changes) + 1)])
    return WageSeries("DE", months, np.concatenate([[0.0], np.cumsum(changes)]), "test", "test", growth_sd=growth_sd)


def test_the_rate_sd_is_the_year_to_year_sd_of_the_published_changes():
    changes = [0.01, 0.03, 0.05, 0.02]
    assert _series(changes).rate_sd == pytest.approx(np.std(changes, ddof=1))
    assert _series([0.03, 0.04]).rate_sd == FALLBACK_RATE_SD  # two changes say too little


def test_the_aging_sd_grows_with_the_distance_and_the_projection():
    index = _series([0.01, 0.03, 0.05, 0.02])  # published to July 2023
    sd, reference = index.rate_sd, month_ordinal(2021, 7)
    assert index.aging_sd(month_ordinal(2023, 7), reference) == 0.0  # published: an index of pay is known
    assert index.aging_sd(month_ordinal(2024, 7), reference) == pytest.approx(sd * math.sqrt(2))  # h = 1
    assert index.aging_sd(month_ordinal(2026, 7), reference) == pytest.approx(sd * math.sqrt(12))  # h = 3
    # A rate the caller gives leaves the years' own deviations only.
    assert index.aging_sd(month_ordinal(2026, 7), reference, aging_rate=0.03) == pytest.approx(sd * math.sqrt(3))
    # Consumer prices plus an uncertain real growth: its sd over the distance, both ways.
    priced = _series([0.01, 0.03, 0.05, 0.02], growth_sd=0.02)
    assert priced.aging_sd(month_ordinal(2023, 7), reference) == pytest.approx(0.04)
    assert priced.aging_sd(month_ordinal(2019, 7), reference) == pytest.approx(0.04)
    assert priced.aging_sd(month_ordinal(2024, 7), reference) == pytest.approx(math.hypot(0.06, sd * math.sqrt(2)))


def _half_widths(estimate) -> tuple[float, float]:
    return math.log(estimate.median / estimate.median_low), math.log(estimate.median_high / estimate.median)


@pytest.mark.parametrize(("country", "as_of"), [("US", "2026-06-01"), ("DE", "2027-01-01"), ("IN", "2024-07-01")])
def test_the_median_interval_widens_by_the_aging_and_the_band_stays(model, country, as_of):
    at_reference = model.predict(country, 6.0, as_of=REFERENCE)
    later = model.predict(country, 6.0, as_of=as_of)
    aging = model.core.money_quote(country, None, as_of).aging_sd
    assert aging > 0 and model.core.money_quote(country, None, REFERENCE).aging_sd == 0.0
    for before, after in zip(_half_widths(at_reference), _half_widths(later)):
        assert after == pytest.approx(math.hypot(before, Z80 * aging), rel=1e-9)
    # The band of one engineer's pay is the tables' (same ratios to the median).
    assert later.low / later.median == pytest.approx(at_reference.low / at_reference.median, rel=1e-12)
    assert later.high / later.median == pytest.approx(at_reference.high / at_reference.median, rel=1e-12)


def test_india_carries_its_real_growths_posterior_sd(model):
    # India is aged with consumer prices plus a real growth whose prior sd is 0.02 a year:
    # its served series keeps the posterior's sd, which a published month one year on shows.
    wages = model.core.money.wages
    assert wages["US"].growth_sd == 0.0 and wages["DE"].growth_sd == 0.0
    assert 0.0 < wages["IN"].growth_sd < 0.05
    year_on = model.core.money_quote("IN", None, "2024-07-01").aging_sd
    assert year_on == pytest.approx(wages["IN"].growth_sd, rel=1e-9)


def test_the_interval_keeps_widening_further_out(model):
    widths = [sum(_half_widths(model.predict("US", 8.0, as_of=f"{year}-07-01"))) for year in (2023, 2025, 2026, 2027)]
    assert widths == sorted(widths) and widths[-1] > widths[0]


def test_a_format_11_folder_loads_and_answers_as_it_did():
    # tests/data/model_format_11 is the shipped folder as format 11 wrote it (no real-growth
    # sd): at the reference month its answers are its tables'; later, only the projection's
    # uncertainty widens its median interval.
    old = load_model(FORMAT_11)
    expected = {
        ("DE", 5, None): [48600.88, 69095.1, 98317.49, 56217.43, 85176.11],
        ("US", 1, None): [67660.61, 94732.61, 132806.81, 82758.32, 107984.8],
        ("IN", 3, "Infosys"): [417957.89, 611302.16, 923073.25, 484798.15, 799744.55],
    }
    for (country, years, company), values in expected.items():
        e = old.predict(country, years, company, as_of=REFERENCE)
        assert [e.low, e.median, e.high, e.median_low, e.median_high] == pytest.approx(values, abs=0.01)
    assert old.core.money.wages["IN"].growth_sd == 0.0
    assert old.core.money_quote("IN", None, "2024-07-01").aging_sd == 0.0  # published, no growth sd


def test_the_usage_guide_quotes_each_indexs_year_to_year_sd():
    import re

    text = " ".join((Path(__file__).parents[1] / "docs" / "usage.md").read_text().split())
    found = re.search(r"by its own sd \(US ([\d.]+)%, DE ([\d.]+)%, IN ([\d.]+)%, .*?; ([\d.]+)% where fewer", text)
    assert found, "the usage guide's sentence on each index's sd moved; keep it tested"
    wages = load_model().core.money.wages
    quoted = [float(value) / 100 for value in found.groups()]
    assert quoted == pytest.approx([wages["US"].rate_sd, wages["DE"].rate_sd, wages["IN"].rate_sd, FALLBACK_RATE_SD], abs=5e-5)


def test_the_explained_band_parts_are_those_of_the_date_asked(model):
    from salarymodel.serving.explanations import band_parts

    for as_of in (REFERENCE, "2026-06-01"):
        parts = band_parts(model.core, "US", 6.0, as_of=as_of)
        e = model.predict("US", 6.0, as_of=as_of)
        assert parts["aging_sd"] == model.core.money_quote("US", None, as_of).aging_sd
        assert e.median * math.exp(Z80 * parts["median_sd_high"]) == pytest.approx(e.median_high, rel=1e-9)
    assert band_parts(model.core, "US", 6.0, as_of=REFERENCE)["aging_sd"] == 0.0
    assert band_parts(model.core, "US", 6.0, as_of="2026-06-01")["aging_sd"] > 0.0
