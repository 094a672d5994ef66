"""Inputs that used to end in an error naming nothing (OverflowError, a numpy
message, KeyError, a hang): each now names the parameter and the fix."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from salarymodel.errors import FiguresError


def _run(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("salarymodel.train", "--rows", str(10**23)), "'rows_per_country' parameter of train must be"),
        (("salarymodel.train", "--seed", "-1"), "'seed' parameter of train must be a whole number from 0"),
    ],
    ids=["rows 10**23", "seed -1"],
)
def test_training_settings_out_of_range_are_named(tmp_path, args, named):
    done = _run(*args, "--out", str(tmp_path / "m"))
    assert done.returncode == 2 and named in done.stderr and "Traceback" not in done.stderr
    assert f"(set by {args[1]}) Nothing was written." in done.stderr  # the command line names its option
    assert not (tmp_path / "m").exists()


def test_a_chunk_size_too_big_for_memory_is_named(model_dir, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("country,years\nDE,5\n")
    done = _run(
        "salarymodel",
        "predict",
        "--model",
        str(model_dir),
        "--input",
        str(source),
        "--output",
        str(tmp_path / "out.csv"),
        "--chunk-size",
        "9223372036854775808",
    )
    assert done.returncode == 2 and "'--chunk-size' option must be a whole number of rows from 1 to" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out.csv").exists()


def test_the_benchmark_refuses_zero_repeats_by_name():
    from pathlib import Path

    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--repeat", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 2 and "--repeat must be at least 1" in done.stderr and "min()" not in done.stderr


def test_the_percentile_bounds_in_the_message_are_accepted(model):
    with pytest.raises(ValueError, match="between 0.024 and 99.976") as refused:
        model.percentiles("DE", 5, q=[0.02])
    assert "Got 0.02" in str(refused.value)
    assert model.percentiles("DE", 5, q=[0.024, 99.976])  # what the message allows is served


def test_a_frame_with_a_column_twice_is_named(model):
    frame = pd.DataFrame([["DE", 5, "DE"]], columns=["country", "years", "country"])
    with pytest.raises(ValueError, match=r"the column\(s\) \['country'\], which the frame has more than once"):
        model.predict_frame(frame)


def test_a_wage_index_change_no_index_makes_is_refused_by_line(tmp_path):
    from salarymodel.data.aging import load_wage_index

    path = tmp_path / "wages.csv"
    path.write_text("country,period,change_pct,series,source\nUS,2019-12,,s,x\nUS,2020-12,1e300,s,x\n")
    with pytest.raises(ValueError, match="line 3.*at most 1000 \\(got 1e300\\)"):
        load_wage_index(path)
    rows = "".join(f"US,{2020 + i}-12,900,s,x\n" for i in range(3))
    path.write_text("country,period,change_pct,series,source\nUS,2019-12,,s,x\n" + rows)
    with pytest.raises(ValueError, match="times its base"):
        load_wage_index(path)


def test_a_figures_file_that_is_a_fifo_is_refused_without_waiting(tmp_path):
    from salarymodel.data.figures import load_figures
    from salarymodel.data.records import load_records

    fifo = tmp_path / "figures.csv"
    os.mkfifo(fifo)
    for load in (load_figures, load_records):
        with pytest.raises(FiguresError, match="is a FIFO, not a regular file"):
            load(fifo)


def test_one_lone_surrogate_in_a_json_row_is_one_bad_row(model):
    from fastapi.testclient import TestClient

    from salarymodel.web.app import create_app

    body = b'{"rows": [{"country": "\\udc80", "years": 5}, {"country": "DE", "years": 5}]}'
    answer = TestClient(create_app(model)).post("/api/v1/estimates", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 200 and (answer.json()["scored"], answer.json()["bad"]) == (1, 1)
