"""The public API: predict, predict_frame, load_model and the default model."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import salarymodel
from helpers import model_file
from salarymodel import InvalidRowsError, SalaryEstimate, UnknownCountryError, load_model


@pytest.mark.parametrize(
    "typed", ["US", "us", "USA", "United States", "united states of america", "U.S.", "Vereinigte Staaten", " usa "]
)
def test_countries_as_people_type_them(model, typed):
    assert model.predict(typed, 3).country == "US"


@pytest.mark.parametrize(
    ("typed", "code"), [("Deutschland", "DE"), ("germany", "DE"), ("DEU", "DE"), ("india", "IN"), ("Indien", "IN"), ("IND", "IN")]
)
def test_german_names_and_alpha3_codes(model, typed, code):
    assert model.predict(typed, 3).country == code


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("TCS", "Tata Consultancy Services"),
        ("tata consultancy services ltd", "Tata Consultancy Services"),
        ("Infosys Ltd.", "Infosys"),
        ("INFOSYS", "Infosys"),
        ("microsoft corp", "Microsoft"),
    ],
)
def test_company_aliases_and_legal_suffixes(model, typed, canonical):
    estimate = model.predict("India", 4, typed)
    assert estimate.company == canonical and estimate.company_known


def test_unknown_country_lists_known_countries(model):
    with pytest.raises(UnknownCountryError) as caught:
        model.predict("France", 3)
    assert isinstance(caught.value, ValueError)
    assert "DE, IN, US" in str(caught.value) and "France" in str(caught.value)
    with pytest.raises(UnknownCountryError, match="not a recognised"):
        model.predict("Narnia", 3)


@pytest.mark.parametrize("years", [-1, -0.01, 50.5, math.nan, math.inf, -math.inf, np.float64("nan")])
def test_years_outside_0_to_50_or_not_finite_raise_value_error(model, years):
    with pytest.raises(ValueError, match="'years' parameter of predict"):
        model.predict("US", years)


@pytest.mark.parametrize("years", ["5", None, True, [3]])
def test_years_of_the_wrong_type_raise_type_error(model, years):
    with pytest.raises(TypeError, match="'years'"):
        model.predict("US", years)


def test_numpy_years_are_accepted(model):
    assert model.predict("US", np.int64(5)).median == pytest.approx(model.predict("US", 5.0).median)


def test_unknown_company_falls_back_to_market_with_at_least_its_band(model):
    market = model.predict("US", 5)
    unknown = model.predict("US", 5, "Initech")
    assert not unknown.company_known and unknown.company == "Initech"
    assert unknown.high - unknown.low >= market.high - market.low
    assert unknown.median == pytest.approx(market.median)
    assert not model.predict("US", 5, "Microsoft").company_known  # known in India only


def test_estimate_fields_and_to_dict(model):
    estimate = model.predict("Germany", 5, confidence=0.9)
    assert isinstance(estimate, SalaryEstimate)
    data = estimate.to_dict()
    for key in ("country", "years", "company", "company_known", "level", "currency", "confidence", "low", "median", "high"):
        assert key in data
    assert (data["country"], data["currency"], data["level"], data["confidence"]) == ("DE", "EUR", "mid", 0.9)
    with pytest.raises(AttributeError):
        estimate.median = 1.0  # frozen


def test_currency_conversion_round_trips(model):
    eur = model.predict("DE", 4)
    usd = model.predict("DE", 4, currency="USD")
    # Same date, so USD is EUR at the ECB rate of that date's month.
    assert usd.as_of == eur.as_of and usd.fx_period == eur.fx_period
    assert usd.median * eur.fx_rate == pytest.approx(eur.median)
    assert model.predict("DE", 4, currency="usd").currency == "USD"
    assert model.predict("IN", 4).currency == "INR"


def test_unknown_currency_names_itself(model):
    with pytest.raises(ValueError, match="XYZ"):
        model.predict("US", 5, currency="XYZ")


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.2, math.nan])
def test_confidence_must_be_inside_0_1(model, confidence):
    with pytest.raises(ValueError, match="'confidence' parameter"):
        model.predict("US", 5, confidence=confidence)


def test_higher_confidence_gives_a_wider_band(model):
    narrow, wide = model.predict("US", 5, confidence=0.5), model.predict("US", 5, confidence=0.95)
    assert wide.low < narrow.low < narrow.median < narrow.high < wide.high


def test_predict_frame_matches_predict_row_by_row(model):
    frame = pd.DataFrame(
        {
            "country": ["US", "Germany", "india", "IN", "usa"],
            "years": [1, 4.5, 10, 3, 45],
            "company": [None, None, "TCS", "", "tiktok"],
        },
        index=[10, 11, 12, 13, 14],
    )
    result = model.predict_frame(frame, confidence=0.9)
    assert list(result.index) == [10, 11, 12, 13, 14]
    for label, row in frame.iterrows():
        company = row["company"] if isinstance(row["company"], str) and row["company"] else None
        one = model.predict(row["country"], row["years"], company, confidence=0.9)
        assert result.at[label, "median"] == pytest.approx(one.median, rel=1e-12)
        assert result.at[label, "low"] == pytest.approx(one.low, rel=1e-12)
        assert result.at[label, "high"] == pytest.approx(one.high, rel=1e-12)
        assert result.at[label, "currency"] == one.currency
        assert result.at[label, "company_known"] == one.company_known


def test_predict_frame_names_every_bad_row(model):
    frame = pd.DataFrame({"country": ["US", "Narnia", None, "DE", "IN"], "years": [1, 2, 3, "x", -4]})
    with pytest.raises(InvalidRowsError) as caught:
        model.predict_frame(frame)
    bad = caught.value.bad_rows
    assert sorted(bad["row"].unique()) == [1, 2, 3, 4]
    assert set(bad.loc[bad["row"] == 3, "column"]) == {"years"}
    assert "4 of 5 rows" in str(caught.value)


def test_predict_frame_coerce_keeps_good_rows(model):
    frame = pd.DataFrame({"country": ["US", "Narnia", "DE"], "years": [1, 2, np.nan]})
    result = model.predict_frame(frame, errors="coerce")
    assert result.loc[0, "median"] == pytest.approx(model.predict("US", 1).median)
    assert result.loc[[1, 2], "median"].isna().all()
    assert "country" in result.at[1, "error"] and "years" in result.at[2, "error"]
    assert result.at[0, "error"] == ""


def test_predict_frame_requires_columns(model):
    with pytest.raises(ValueError, match="'country' and 'years'"):
        model.predict_frame(pd.DataFrame({"land": ["US"], "years": [1]}))


def test_load_model_takes_folder_or_data_file(model_dir, model):
    from_file = load_model(model_file(model_dir))
    assert from_file.predict("US", 3).median == pytest.approx(model.predict("US", 3).median)


def test_module_level_predict_works_out_of_the_box(_default_model_in_tmp):
    estimate = salarymodel.predict("Germany", 5)
    assert estimate.currency == "EUR" and estimate.low < estimate.median < estimate.high
    assert model_file(_default_model_in_tmp).exists()
    frame = salarymodel.predict_frame(pd.DataFrame({"country": ["DE"], "years": [5]}))
    assert frame.at[0, "median"] == pytest.approx(estimate.median)
    assert salarymodel.load_model() is salarymodel.load_model()


def test_bad_rows_are_found_with_a_duplicated_index(model):
    frame = pd.DataFrame({"country": ["US", "Narnia", "DE"], "years": [1, 2, 3]}, index=[7, 7, 7])
    with pytest.raises(InvalidRowsError) as caught:
        model.predict_frame(frame)
    assert caught.value.bad_rows[["row", "position"]].values.tolist() == [[7, 1]]
    coerced = model.predict_frame(frame, errors="coerce")
    assert coerced["median"].isna().tolist() == [False, True, False]
