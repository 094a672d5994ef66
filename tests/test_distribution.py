"""One question resolved once: percentiles, curve, rank and pay ranges read one
distribution off the tables and never run predict again."""

from __future__ import annotations

import pytest

from salarymodel.serving.distribution import Distribution, resolve_query


def test_no_answer_but_predict_runs_predict(model, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("predict was run again")

    monkeypatch.setattr(model.core, "predict", refuse)
    assert model.percentiles("DE", 5, as_of="2023-07-01")[50] > 0
    assert model.percentiles("DE", (3, 7), as_of="2023-07-01")[50] > 0
    assert 0 < model.rank("US", 4, 120_000, "TikTok").percentile < 100
    assert len(model.curve("IN", years=[1, 2])) == 10
    assert [r.level for r in model.ranges("DE")] == ["entry", "mid", "senior", "lead"]


@pytest.mark.parametrize("years", [5.0, (2.0, 6.0)])
@pytest.mark.parametrize("as_of", ["2023-07-01", "2026-07-01"])
def test_the_distribution_is_the_one_predict_serves(model, years, as_of):
    # The reference month ages nothing; July 2026 is projected, so the median's interval widens.
    estimate = model.predict("DE", years, "SAP", as_of=as_of)
    query = resolve_query(model.core, "Germany", years, "SAP", as_of=as_of)
    distribution = Distribution(model.core, query)
    assert (query.country, query.company, query.company_known, query.years_max) == (
        "DE",
        "SAP",
        False,
        None if isinstance(years, float) else 6.0,
    )
    assert distribution.quantiles([0.1, 0.5, 0.9]) == pytest.approx([estimate.low, estimate.median, estimate.high], rel=1e-9)
    assert distribution.median() == pytest.approx(estimate.median, rel=1e-9)
    assert distribution.median_interval() == pytest.approx((estimate.median_low, estimate.median_high), rel=1e-9)
    assert (distribution.support(), distribution.sources()) == (estimate.support, estimate.sources)
