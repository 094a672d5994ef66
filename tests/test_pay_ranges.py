"""Pay ranges for postings: each level's 25th/50th/75th percentiles by default, the
same in Python, the command line and the API, and readable as schema.org JSON."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from salarymodel.serving.pay_ranges import schema_org

AS_OF = "2023-07-01"
# Properties a schema.org MonetaryAmountDistribution may carry (its own, and those of
# QuantitativeValueDistribution and Thing that a range uses).
SCHEMA_PROPERTIES = {
    "@context",
    "@type",
    "name",
    "currency",
    "duration",
    "percentile10",
    "percentile25",
    "median",
    "percentile75",
    "percentile90",
}


@pytest.mark.parametrize(("country", "company"), [("DE", None), ("US", "TikTok"), ("IN", "Infosys")])
def test_each_level_is_its_years_25th_50th_and_75th_percentiles(model, country, company):
    answers = model.ranges(country, company, as_of=AS_OF)
    edges = (0.0, *model.core.level_edges, 20.0)
    assert [a.level for a in answers] == ["entry", "mid", "senior", "lead"]
    for i, answer in enumerate(answers):
        assert (answer.years_min, answer.years_max) == (edges[i], edges[i + 1])
        expected = model.percentiles(country, (edges[i], edges[i + 1]), company, q=(25, 50, 75), as_of=AS_OF)
        assert (answer.minimum, answer.midpoint, answer.maximum) == pytest.approx(
            (expected[25], expected[50], expected[75]), rel=1e-12
        )
        estimate = model.predict(country, (edges[i], edges[i + 1]), company, as_of=AS_OF)
        assert answer.support == estimate.support and answer.sources == tuple(estimate.sources)
    midpoints = [a.midpoint for a in answers]
    assert midpoints == sorted(midpoints)  # pay never falls with experience


def test_your_levels_target_and_spread_are_honoured(model):
    answers = model.ranges(
        "India", levels={"junior": (0, 4), "senior": (8, 15)}, target=60, spread=(10, 90), currency="USD", as_of=AS_OF
    )
    assert [a.level for a in answers] == ["junior", "senior"] and answers[0].currency == "USD"
    expected = model.percentiles("IN", (8, 15), q=(10, 60, 90), currency="USD", as_of=AS_OF)
    assert (answers[1].minimum, answers[1].midpoint, answers[1].maximum) == pytest.approx(
        (expected[10], expected[60], expected[90]), rel=1e-12
    )
    listed = model.ranges("US", levels=[(3, 5)], as_of=AS_OF)
    assert listed[0].level == "3-5 years"


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"target": 80}, ValueError, "The 'spread' parameter of ranges must hold the target percentile strictly inside"),
        ({"spread": (25,)}, TypeError, "The 'spread' parameter of ranges must be two percentiles"),
        ({"target": 150}, ValueError, "percentile"),
        ({"levels": "senior"}, TypeError, "The 'levels' parameter of ranges must be None, a non-empty dict"),
        ({"levels": {}}, TypeError, "The 'levels' parameter of ranges must be None, a non-empty dict"),
        ({"levels": [(1, 2, 3)]}, TypeError, "each level's years as a \\(low, high\\) pair"),
        ({"levels": [(5, 3)]}, ValueError, "'levels' parameter of ranges .* 0 <= low < high <= 50"),
        ({"levels": [(0, 1e400)]}, ValueError, "'levels' parameter of ranges .* 0 <= low < high <= 50"),
    ],
)
def test_bad_options_are_refused_by_name(model, options, error, message):
    with pytest.raises(error, match=message):
        model.ranges("DE", **options)


def test_a_range_is_a_schema_org_monetary_amount_distribution(model):
    for answer in model.ranges("Germany", as_of=AS_OF):
        document = json.loads(json.dumps(schema_org(answer)))
        assert set(document) == SCHEMA_PROPERTIES
        assert document["@context"] == "https://schema.org" and document["@type"] == "MonetaryAmountDistribution"
        assert document["currency"] == "EUR" and document["duration"] == "P1Y"
        values = [document[key] for key in ("percentile10", "percentile25", "median", "percentile75", "percentile90")]
        assert values == sorted(values) and all(isinstance(v, float) and v > 0 for v in values)
        assert document["median"] == pytest.approx(answer.midpoint, abs=0.01)


def test_the_command_line_writes_csv_and_json_ld_and_names_bad_options(model_dir):
    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "salarymodel.cli.console", "ranges", "--model", str(model_dir), *args],
            capture_output=True,
            text=True,
        )

    done = run("--country", "Germany", "--as-of", AS_OF)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "level,years_min,years_max,minimum,midpoint,maximum,currency,as_of,support,sources"
    assert [line.split(",")[0] for line in lines[1:]] == ["entry", "mid", "senior", "lead"]
    linked = json.loads(run("--country", "DE", "--format", "jsonld", "--as-of", AS_OF).stdout)
    assert [d["@type"] for d in linked] == ["MonetaryAmountDistribution"] * 4
    bad = run("--country", "DE", "--levels", "0-4,x")
    assert bad.returncode == 2 and "The 'levels' parameter takes year ranges" in bad.stderr
    assert bad.stderr.rstrip().endswith("(set by --levels)")
    assert "Traceback" not in bad.stderr


def test_the_api_answers_as_python_does(model):
    from fastapi.testclient import TestClient

    from salarymodel.web.app import create_app

    body = TestClient(create_app(model)).get("/api/v1/ranges", params={"country": "DE", "as_of": AS_OF}).json()
    python = model.ranges("DE", as_of=AS_OF)
    # The API sends amounts in the currency's minor unit, as to_dict rounds them.
    assert [r["midpoint"] for r in body["ranges"]] == [round(a.midpoint, 2) for a in python]
    assert body["schema_org"][1] == schema_org(python[1]) and body["pay"] == "base"
    # Your own levels as year ranges, as the command line's --levels takes them.
    client = TestClient(create_app(model))
    mine = client.get("/api/v1/ranges", params={"country": "IN", "levels": "0-4,4-8", "as_of": AS_OF}).json()
    expected = model.ranges("IN", levels=[(0, 4), (4, 8)], as_of=AS_OF)
    assert [r["maximum"] for r in mine["ranges"]] == [round(a.maximum, 2) for a in expected]
    bad = client.get("/api/v1/ranges", params={"country": "IN", "levels": "0-4,x"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "levels"


def test_a_range_is_half_open_and_graded_as_predict_grades_its_years(model):
    from salarymodel.serving.grid import YEARS_GRID

    for country in ("US", "DE", "IN"):
        for answer in model.ranges(country):
            inside = YEARS_GRID[(YEARS_GRID >= answer.years_min) & (YEARS_GRID < answer.years_max)]
            grades = {model.predict(country, float(y)).support for y in inside}
            order = ("strong", "moderate", "thin", "extrapolated")
            assert answer.support == max(grades, key=order.index), (country, answer.level)
    # Germany's entry range (0-3 years) rests on its entry figure only, not on the mid one
    # that starts at 3 years.
    entry, mid = model.ranges("DE")[:2]
    assert entry.sources == ("f17",) and mid.sources == ("f18",)


def test_range_amounts_are_rounded_to_the_currencys_minor_unit(model):
    fields = model.ranges("IN")[0].to_dict()
    for value in (fields["minimum"], fields["midpoint"], fields["maximum"], *fields["percentiles"].values()):
        assert value == round(value, 2)
