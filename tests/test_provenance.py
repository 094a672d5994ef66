"""Every estimate shows which reported figures stand behind it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import salarymodel
from salarymodel.training.provenance import SUPPORT_GRADES
from salarymodel.training.state_file import training_state


def _rank(support: str) -> int:
    return SUPPORT_GRADES.index(support)


def test_us_entry_rests_on_its_three_disagreeing_figures(model):
    estimate = model.predict("US", 1)
    assert {"f02", "f03", "f04"} <= set(estimate.sources)
    assert estimate.support == "strong"
    assert "f16" not in estimate.sources and "f27" not in estimate.sources


def test_employer_known_from_one_all_levels_mean_is_weaker(model):
    quantiphi = model.predict("India", 4, "Quantiphi")
    assert "f24" in quantiphi.sources
    assert _rank(quantiphi.support) > _rank(model.predict("US", 1).support)


def test_one_figure_gives_moderate_support(model):
    germany = model.predict("Germany", 4)
    assert germany.sources == ("f18",) and germany.support == "moderate"


@pytest.mark.parametrize(("country", "years"), [("DE", 20), ("US", 45), ("DE", 45)])
def test_years_past_the_reported_levels_are_extrapolated(model, country, years):
    estimate = model.predict(country, years)
    assert estimate.support == "extrapolated"
    assert estimate.sources  # it names what it borrows from


def test_india_without_level_figures_is_thin(model):
    assert model.predict("India", 25).support in ("thin", "extrapolated")
    assert model.predict("India", 5).support == "thin"


def test_extrapolated_estimates_borrow_the_nearest_level(model):
    assert model.predict("DE", 30).sources == ("f19",)  # senior is DE's highest reported level


def test_to_dict_carries_sources_and_support(model):
    data = model.predict("US", 1).to_dict()
    assert data["support"] == "strong" and isinstance(data["sources"], list) and "f02" in data["sources"]


def test_predict_frame_support_column_and_sources_on_request(model):
    frame = pd.DataFrame(
        {"country": ["US", "IN", "DE", "DE"], "years": [1, 4, 4, 20], "company": [None, "Quantiphi", None, None]}
    )
    plain = model.predict_frame(frame)
    assert "sources" not in plain.columns
    assert plain["support"].tolist() == [model.predict(r.country, r.years, r.company).support for r in frame.itertuples()]
    rich = model.predict_frame(frame, sources=True)
    assert rich.at[2, "sources"] == ("f18",)
    assert rich.at[1, "sources"] == model.predict("IN", 4, "Quantiphi").sources


def test_provenance_is_read_at_the_grid_point_at_or_below(model):
    # Levels are half-open: 3 years is the bottom of mid, 2.95 the top of entry.
    assert set(model.predict("DE", 3).sources) == {"f18"}
    assert set(model.predict("DE", 2.95).sources) == {"f17"}
    assert model.predict("DE", 3.01).sources == model.predict("DE", 3).sources  # same grid point
    assert model.predict("DE", 3.05).sources == ("f18",)


def test_explain_lists_the_figures_with_the_models_values(model):
    table = model.explain("Germany", 4, as_of=model.core.reference_date)
    row = table.set_index("id").loc["f18"]
    assert (row["reported"], row["reported_high"]) == pytest.approx((60_000, 80_000))
    assert row["model"] == pytest.approx(60_000, rel=0.10) and row["model_high"] == pytest.approx(80_000, rel=0.10)
    assert row["relative_difference"] == pytest.approx(row["model"] / row["reported"] - 1)
    assert (table["currency"] == "EUR").all()


def test_explain_converts_to_the_requested_currency(model):
    eur = model.explain("Germany", 4, as_of="2024-05-01").set_index("id")
    usd = model.explain("Germany", 4, currency="USD", as_of="2024-05-01").set_index("id")
    rate = model.predict("Germany", 4, as_of="2024-05-01").fx_rate  # EUR per USD, May 2024
    assert usd.at["f18", "reported"] * rate == pytest.approx(eur.at["f18", "reported"])
    india = model.explain("India", 4, "TCS", as_of=model.core.reference_date).set_index("id")
    # 2019 rupees aged to the reference date with India's wage index
    wage = training_state(model).training_data.figures.set_index("id").loc["f25", "aging_factor"]
    assert wage > 1 and india.at["f25", "reported"] == pytest.approx(412_706 * wage)


def test_explain_and_fidelity_share_one_computation(model):
    fidelity = model.fidelity().set_index(["id", "statistic"])
    table = model.explain("US", 1, currency="USD", as_of=model.core.reference_date)
    for row in table.itertuples():
        assert row.model == fidelity.at[(row.id, row.statistic), "model_usd"]


def test_currency_is_recorded_and_unknown_currency_named(model):
    estimate = model.predict("US", 5, currency="EUR", as_of="2024-03-15")
    assert estimate.fx_period == "2024-03" and estimate.reference_year == 2023
    dollars = model.predict("US", 5, as_of="2024-03-15")
    assert estimate.median == pytest.approx(dollars.median * estimate.fx_rate)
    with pytest.raises(ValueError, match="XYZ"):
        model.predict("US", 5, currency="XYZ")
    with pytest.raises(ValueError, match="'currency'.*RUB"):  # no ECB rate now: never a silent 1:1
        model.predict("US", 5, currency="RUB")


def test_median_interval_brackets_the_median_and_is_wider_where_sources_are_few(model):
    for query in (("US", 1), ("DE", 4), ("IN", 5, "Quantiphi")):
        e = model.predict(*query)
        assert e.median_low <= e.median <= e.median_high
    us_entry, de_mid = model.predict("US", 1), model.predict("DE", 4)  # nine sources against one
    assert us_entry.median_high / us_entry.median_low < de_mid.median_high / de_mid.median_low


def test_module_level_explain_uses_the_default_model():
    table = salarymodel.explain("DE", 4)
    assert table["id"].tolist() == ["f18"]
    assert np.isfinite(table["model"]).all()


def test_explain_names_who_published_each_figure(model):
    table = model.explain("Germany", 4)
    row = table.iloc[0]
    assert (row["id"], row["source"], row["publisher"], row["address"]) == ("f18", "A1", "TechMinds", "techminds.de")
    us = model.explain("US", 5)
    assert set(us.loc[us["source"] == "A0", "publisher"]) == {"unite.ai (German edition)"}
    assert set(us.loc[us["source"] == "A0", "published"]) == {"2023-06"}
    # Every source the shipped figures name is in the shipped table of publishers.
    assert set(model.core.source_names) == {"A0", "A1", "A2"}


@pytest.mark.slow
def test_a_users_own_source_is_shown_by_its_id(tmp_path):
    from helpers import figures_with, shipped_figures
    from salarymodel.train import train

    f18 = shipped_figures().set_index("id").loc["f18"].to_dict()
    extra = {**f18, "id": "f99", "source": "U1", "value": "65000", "value_high": "85000"}
    table = train(figures_with(tmp_path, [extra])).model.explain("Germany", 4)
    assert table.set_index("id").loc["f99", "publisher"] == "" and table.set_index("id").loc["f18", "publisher"] == "TechMinds"


def test_explain_shows_each_figure_as_its_source_published_it(model):
    row = model.explain("Germany", 4, as_of="2026-01-01").iloc[0]
    # The article's 60,000-80,000 EUR of 2023, beside the same figure aged into 2026 money.
    assert (row["published_value"], row["published_value_high"], row["published_currency"], row["published_year"]) == (
        60_000,
        80_000,
        "EUR",
        2023,
    )
    assert row["reported"] > 60_000 and row["reported_high"] > 80_000
    indian = model.explain("India", 3, "TCS").set_index("id")
    assert indian.loc["f25", "published_value"] == 412_706 and indian.loc["f25", "published_currency"] == "INR"
