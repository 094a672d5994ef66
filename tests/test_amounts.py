"""Amounts and confidences as people type them, read one way on every surface."""

from __future__ import annotations

import subprocess
import sys

import pytest

from salarymodel.data.amounts import AmountError, parse_amount, parse_confidence


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("70000", 70_000),
        ("70,000", 70_000),
        ("70 000", 70_000),
        ("70k", 70_000),
        ("70 K", 70_000),
        ("EUR 70,000", 70_000),
        ("70,000 EUR", 70_000),
        ("€70k", 70_000),
        ("14.5 lakh", 1_450_000),
        ("14,50,000", 1_450_000),
        ("₹ 14,50,000", 1_450_000),
        ("1.2m", 1_200_000),
        ("2 crore", 20_000_000),
        ("1,250,000.50", 1_250_000.5),
        (85_000, 85_000),
    ],
)
def test_an_amount_written_one_way_is_read(typed, amount):
    assert parse_amount(typed) == amount


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("2,5", "could be a decimal comma"),
        ("75.000", "could be 75.000 or 75000"),
        ("1_0", "must be a number such as"),
        ("\uff17\uff10", "must use the digits 0-9"),
        ("\u0665", "must use the digits 0-9"),
        ("abc", "a word it does not know"),
        ("0", "positive amount"),
        ("-5", "positive amount"),
        (float("nan"), "positive amount"),
        (True, "must be a number"),
    ],
)
def test_an_amount_that_reads_two_ways_or_none_is_refused_saying_how_to_write_it(typed, words):
    with pytest.raises(AmountError, match=words) as error:
        parse_amount(typed)
    assert str(error.value).startswith("The salary")


@pytest.mark.parametrize(("typed", "share"), [("80", 0.8), ("80%", 0.8), (" 95 % ", 0.95), ("0.8", 0.8), (0.9, 0.9), (80, 0.8)])
def test_a_confidence_of_80_or_80_percent_means_80_percent(typed, share):
    assert parse_confidence(typed) == pytest.approx(share)


@pytest.mark.parametrize("typed", ["100", "0", "-10%", "abc", "150%", "1.5", "1"])
def test_a_confidence_outside_0_to_100_percent_is_refused(typed):
    with pytest.raises(AmountError, match="confidence"):
        parse_confidence(typed)


def test_the_command_line_takes_the_same_words(model_dir):
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel", "predict", "--model", str(model_dir), "--country", "DE", "--years", "5"]
        + ["--salary", "70,000", "--confidence", "80%", "--as-of", "2023-07-01"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "80% of ML engineers" in done.stdout and "70,000 EUR is about the" in done.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "salarymodel", "predict", "--model", str(model_dir), "--country", "DE", "--years", "5"]
        + ["--salary", "75.000"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and "argument --salary: The salary '75.000' could be" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_numbers_in_data_files_are_read_one_way_or_refused_by_row_and_column(tmp_path):
    from salarymodel.data.records import load_records
    from salarymodel.errors import FiguresError

    path = tmp_path / "records.csv"
    path.write_text(
        "country,years,company,salary,currency,year,pay,source\n"
        'DE,"2,5",,"75.000",EUR,2023,base,survey\n'
        "DE,\u0665,,70000,EUR,2023,base,survey\n"
        'DE,4,,"75,000",EUR,2023,base,survey\n',
        encoding="utf-8",
    )
    with pytest.raises(FiguresError) as error:
        load_records(path)
    problems = error.value.problems
    # "2,5" is not 25 years, "75.000" not 75 EUR, an Arabic-Indic five not a 5: each refused.
    assert any("line 2, column 'years'" in p and "'2,5'" in p for p in problems)
    assert any("line 2, column 'salary'" in p and "'75.000'" in p for p in problems)
    assert any("line 3, column 'years'" in p for p in problems)
    assert not any("line 4" in p for p in problems)  # 75,000 with a thousands comma is one reading


@pytest.mark.parametrize("typed", ["1_0", "\u0665", "\uff15", "2,5"])
def test_years_typed_on_the_command_line_and_over_http_use_the_same_reader(model, typed):
    from fastapi.testclient import TestClient

    from salarymodel.serving.year_ranges import parse_years_text
    from salarymodel.web.app import create_app

    with pytest.raises(AmountError):
        parse_years_text(typed)
    answer = TestClient(create_app(model)).get("/api/v1/estimate", params={"country": "DE", "years": typed})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "years"
