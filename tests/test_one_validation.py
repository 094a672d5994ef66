"""One validation for every entry point: predict, predict_frame, explain, Dask
and the command line accept and refuse the same values, with the same
message naming the parameter, whatever the caches hold, and no command ever prints a traceback."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salarymodel import InvalidRowsError, load_model


@pytest.fixture(scope="module")
def fresh(model_dir):
    """A model with empty caches, loaded again for each check that needs one."""
    return lambda: load_model(model_dir)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("confidence", 10**400),
        ("aging_rate", 10**400),
        ("aging_rate", False),
        ("aging_rate", np.True_),
        ("as_of", pd.NaT),
        ("confidence", np.bool_(True)),
        ("aging_rate", float("nan")),
    ],
)
def test_bad_options_are_refused_by_name_everywhere(fresh, name, value):
    model = fresh()
    frame = pd.DataFrame({"country": ["DE"], "years": [5.0]})
    calls = [lambda: model.predict("DE", 5, **{name: value}), lambda: model.predict_frame(frame, **{name: value})]
    if name != "confidence":  # percentiles and explain take no confidence
        calls += [lambda: model.percentiles("DE", 5, **{name: value}), lambda: model.explain("DE", 5, **{name: value})]
    for call in calls:
        with pytest.raises((ValueError, TypeError), match=f"'{name}' parameter"):
            call()


def test_validation_does_not_depend_on_what_the_cache_holds(fresh):
    model = fresh()
    model.predict("DE", 5, aging_rate=0.0, as_of="2026-07")  # caches 0.0's quote
    with pytest.raises(ValueError, match="'aging_rate' parameter"):
        model.predict("DE", 5, aging_rate=False, as_of="2026-07")  # False == 0.0, but not a rate
    model.predict("DE", 5, confidence=0.8)
    with pytest.raises(TypeError, match="'confidence' parameter"):
        model.predict("DE", 5, confidence=True)


@pytest.mark.parametrize("years", [np.True_, True, 5 + 1j, np.datetime64(5, "ns"), np.timedelta64(5, "ns"), "five", None])
def test_predict_frame_refuses_what_predict_refuses(fresh, years):
    model = fresh()
    with pytest.raises((ValueError, TypeError), match="'years' parameter"):
        model.predict("DE", years)
    frame = pd.DataFrame({"country": ["DE"], "years": pd.Series([years], dtype=object)})
    with pytest.raises(InvalidRowsError, match="years"):
        model.predict_frame(frame)


@pytest.mark.parametrize(
    "column", [pd.Series([np.datetime64(5, "ns")]), pd.Series([np.timedelta64(5, "ns")]), pd.Series([5 + 1j]), pd.Series([True])]
)
def test_typed_columns_that_are_not_years_are_bad_rows(fresh, column):
    out = fresh().predict_frame(pd.DataFrame({"country": ["DE"], "years": column}), errors="coerce")
    assert np.isnan(out.at[0, "median"]) and "years" in out.at[0, "error"]


def test_a_complex_cell_never_becomes_a_tiny_number(fresh):
    frame = pd.DataFrame({"country": ["India", "India"], "years": pd.Series([complex(3, 1), "nan"], dtype=object)})
    out = fresh().predict_frame(frame, errors="coerce")
    assert out["median"].isna().all() and (out["error"] != "").all()


def test_dask_honours_errors_and_checks_options_without_a_country(fresh):
    dd = pytest.importorskip("dask.dataframe")
    model = fresh()
    frame = pd.DataFrame({"country": ["US", "XX"], "years": [5.0, 3.0]})
    lazy = dd.from_pandas(frame, npartitions=1)
    with pytest.raises(ValueError, match="'errors' parameter"):
        model.predict_frame(lazy, errors="bogus")
    coerced = model.predict_frame(lazy, errors="coerce").compute()
    assert coerced.at[0, "median"] > 0 and "country" in coerced.at[1, "error"]
    # A US-only frame at a month Germany's index cannot be projected to is served:
    # as_of is checked per country present, not against the first country.
    with pytest.raises(ValueError, match="as_of"):
        model.predict("DE", 5, as_of="2027-10", aging_rate=0.03)
    us = dd.from_pandas(pd.DataFrame({"country": ["US"], "years": [5.0]}), npartitions=1)
    out = model.predict_frame(us, as_of="2027-10", aging_rate=0.03).compute()
    assert out.at[0, "median"] == pytest.approx(model.predict("US", 5, as_of="2027-10", aging_rate=0.03).median)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "salarymodel.cli.console", *args], capture_output=True, text=True, timeout=120)


_WORDS = st.sampled_from(
    [
        "predict",
        "train",
        "evaluate",
        "--country",
        "--years",
        "--company",
        "--confidence",
        "--currency",
        "--as-of",
        "--aging-rate",
        "--json",
        "--explain",
        "--percentiles",
        "--model",
        "--input",
        "--output",
        "--chunk-size",
        "--rows",
        "--out",
        "--figures",
        "DE",
        "Narnia",
        "5",
        "-1",
        "nan",
        "1e400",
        "0",
        "abc",
        "2026-07",
        "0.8",
        "/dev/null",
        "/nonexistent/x.csv",
        "10,90",
        "",
        "\x07",
    ]
)


@settings(max_examples=25, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=6))
def test_every_command_exits_0_2_or_3_with_no_traceback(model_dir, tmp_path_factory, words):
    if words[0] == "train" and "--out" not in words:
        words = [*words, "--out", str(tmp_path_factory.mktemp("out"))]  # never the working directory's models/
    if words[0] == "predict" and "--model" not in words:
        words = [*words, "--model", str(model_dir)]
    if words[0] == "evaluate":
        words = ["evaluate", "--model", "/nonexistent"]  # the full report is tested elsewhere
    done = _run(*words)
    assert done.returncode in (0, 2, 3), (words, done.returncode, done.stderr[-500:])
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout, words


def test_a_closed_output_pipe_ends_quietly(model_dir):
    command = f"{sys.executable} -m salarymodel predict --model {model_dir} --country DE --years 5 --explain | head -c 1"
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stderr


def test_as_of_accepts_dates_and_refuses_missing_ones(fresh):
    model = fresh()
    assert model.predict("DE", 5, as_of=dt.date(2026, 7, 1)).as_of == "2026-07-01"
    with pytest.raises(ValueError, match="NaT"):
        model.predict("DE", 5, as_of=pd.NaT)
