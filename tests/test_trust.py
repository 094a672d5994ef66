"""Trust: any input gives a valid estimate or a precise error; runs fail safely;
user figures work end to end; predict is thread-safe."""

from __future__ import annotations

import math
import shutil
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import salarymodel
from helpers import model_file
from salarymodel import api, load_model
from salarymodel.data.shipped import raw_data_file
from salarymodel.train import train

COUNTRY_TEXT = st.one_of(
    st.sampled_from(
        [
            "US",
            "usa",
            "United States",
            "Germany",
            "deutschland",
            "DEU",
            "India",
            " in ",
            "France",
            "Narnia",
            "",
            "   ",
            "U.S.",
            "Vereinigte Staaten",
        ]
    ),
    st.text(max_size=120),
    st.none(),
    st.integers(),
    st.floats(),
    st.lists(st.integers(), max_size=2),
)
YEARS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-100, 100),
    st.integers(),
    st.sampled_from(["5", None, True, [3], 10**400]),
)
COMPANY = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "TikTok",
            "bytedance",
            "TCS",
            "Infosys Ltd.",
            "Microsoft Corp",
            "Initech GmbH",
            "",
            "\x00evil",
            "x" * 200,
            ["TCS"],
            {"a": 1},
        ]
    ),
    st.text(max_size=40),
    st.integers(),
    st.floats(),
)
CONFIDENCE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.5, 0.8, 0.95, 0, 1, "0.8", [0.8], None])
)
CURRENCY = st.one_of(
    st.none(),
    st.sampled_from(["USD", "eur", "INR", "GBP", "XYZ", "RUB", "", "usd ", ["EUR"]]),
    st.text(max_size=5),
    st.integers(),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(country=COUNTRY_TEXT, years=YEARS, company=COMPANY, confidence=CONFIDENCE, currency=CURRENCY)
def test_any_input_gives_a_valid_estimate_or_a_named_error(model, country, years, company, confidence, currency):
    try:
        estimate = model.predict(country, years, company, confidence=confidence, currency=currency)
    except (ValueError, TypeError) as error:
        message = str(error)
        assert any(f"'{field}'" in message for field in ("country", "years", "company", "confidence", "currency"))
        return
    assert all(math.isfinite(v) for v in (estimate.low, estimate.median, estimate.high))
    assert 0 < estimate.low <= estimate.median <= estimate.high


def _as_frame_years(value):
    """Years as a frame column holds them: numeric text counts, like a CSV cell."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return math.nan
    return value


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(COUNTRY_TEXT, YEARS, COMPANY), min_size=1, max_size=12))
def test_predict_frame_scores_good_rows_and_names_bad_ones(model, rows):
    frame = pd.DataFrame(rows, columns=["country", "years", "company"], dtype=object)
    result = model.predict_frame(frame, errors="coerce")
    for position, (country, years, company) in enumerate(rows):
        try:
            expected = model.predict(
                country, _as_frame_years(years), None if isinstance(company, str) and not company.strip() else company
            )
        except (ValueError, TypeError):
            assert result["error"].iloc[position] != ""
            assert math.isnan(result["median"].iloc[position])
            continue
        assert result["error"].iloc[position] == ""
        assert result["median"].iloc[position] == pytest.approx(expected.median, rel=1e-9)


@pytest.mark.parametrize("bad", ["Ger\x00many", "In\ndia", "x" * 101])
def test_control_characters_and_absurd_lengths_are_refused(model, bad):
    with pytest.raises(ValueError, match="'country'"):
        model.predict(bad, 3)
    with pytest.raises(ValueError, match="'company'"):
        model.predict("US", 3, bad)


@pytest.mark.parametrize("typed", ["  tiktok  ", "TikTok Inc.", "ByteDance", "bytedance ltd", "TIKTOK, INC"])
def test_tiktok_spellings_and_its_parent(model, typed):
    estimate = model.predict("US", 4, typed)
    assert estimate.company == "TikTok" and estimate.company_known


def _old_model(tmp_path, model_dir):
    folder = tmp_path / "m"
    shutil.copytree(model_dir, folder)
    return folder, (folder / "salary_model.json").read_bytes(), model_file(folder).read_bytes()


def test_failure_while_training_leaves_the_previous_model_loadable(tmp_path, model_dir, monkeypatch):
    folder, card, artifact = _old_model(tmp_path, model_dir)
    import salarymodel.pipeline as train_module

    def broken(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(train_module, "coverage_report", broken)
    with pytest.raises(RuntimeError, match="injected"):
        train(out=folder, data_out=folder, rows_per_country=2000)
    assert (folder / "salary_model.json").read_bytes() == card
    assert model_file(folder).read_bytes() == artifact
    assert not (folder / "training_set.csv").exists() and model_file(folder, "training_set").exists()
    assert load_model(folder).predict("US", 3).median > 0


def test_failure_while_pickling_leaves_the_previous_model_loadable(tmp_path, model_dir, monkeypatch):
    folder, card, artifact = _old_model(tmp_path, model_dir)
    import joblib

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(joblib, "dump", broken)
    with pytest.raises(OSError):
        train(out=folder, rows_per_country=2000)
    assert model_file(folder).read_bytes() == artifact
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in model_dir.iterdir())
    assert load_model(folder).predict("DE", 3).median > 0


def test_killed_training_run_leaves_the_previous_model_loadable(tmp_path, model_dir):
    folder, card, artifact = _old_model(tmp_path, model_dir)
    process = subprocess.Popen(
        [sys.executable, "-m", "salarymodel.train", "--out", str(folder), "--data-out", str(folder), "--rows", "400000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL  # it was still running: killed mid-way
    assert (folder / "salary_model.json").read_bytes() == card
    assert model_file(folder).read_bytes() == artifact
    assert load_model(folder).predict("IN", 3).median > 0


@pytest.mark.slow  # a whole training run of new figures (a minute on a busy machine)
def test_users_can_add_a_country_and_an_employer(tmp_path):
    figures = pd.read_csv(raw_data_file("reported_figures.csv"), dtype=str, keep_default_na=False)
    # Illustrative user rows (not reported figures): a UK market and one employer.
    extra = pd.DataFrame(
        [
            {
                "id": "u1",
                "source": "my survey",
                "country": "GB",
                "currency": "GBP",
                "year": "2023",
                "level": "entry",
                "pay": "base",
                "statistic": "range",
                "value": "40000",
                "value_high": "55000",
                "coverage": "0.5",
            },
            {
                "id": "u2",
                "source": "my survey",
                "country": "GB",
                "currency": "GBP",
                "year": "2023",
                "level": "mid",
                "pay": "base",
                "statistic": "range",
                "value": "55000",
                "value_high": "75000",
                "coverage": "0.5",
            },
            {
                "id": "u3",
                "source": "my survey",
                "country": "GB",
                "currency": "GBP",
                "year": "2023",
                "level": "senior",
                "pay": "base",
                "statistic": "median",
                "value": "90000",
            },
            {
                "id": "u4",
                "source": "my survey",
                "country": "DE",
                "currency": "EUR",
                "year": "2023",
                "level": "all",
                "company": "Acme Robotics",
                "pay": "base",
                "statistic": "mean",
                "value": "110000",
            },
        ]
    )
    path = tmp_path / "figures.csv"
    pd.concat([figures, extra], ignore_index=True).fillna("").to_csv(path, index=False)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "salarymodel.train",
            "--figures",
            str(path),
            "--out",
            str(tmp_path / "uk"),
            "--data-out",
            str(tmp_path / "uk"),
            "--rows",
            "20000",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    mine = load_model(tmp_path / "uk")
    uk = mine.predict("United Kingdom", 4)
    assert uk.country == "GB" and uk.currency == "GBP"
    assert 55_000 <= uk.median <= 75_000
    acme = mine.predict("Germany", 4, "acme robotics gmbh")
    assert acme.company_known and acme.median > mine.predict("Germany", 4).median
    with pytest.raises(salarymodel.UnknownCountryError):
        load_model(tmp_path / "uk").predict("France", 3)


def test_predict_is_thread_safe_and_the_default_model_loads_once(monkeypatch, model):
    calls = []

    def counting_loader():
        calls.append(1)
        time.sleep(0.2)  # widen the race window
        return model

    monkeypatch.setattr(api, "_default_model", None)
    monkeypatch.setattr(api, "_load_or_train_default", counting_loader)
    queries = [
        (c, y, k) for c in ("US", "Germany", "india") for y in (0, 2.5, 7, 15, 45) for k in (None, "TikTok", "TCS", "Initech")
    ]
    serial = [model.predict(*q) for q in queries]
    results: dict[int, list] = {}

    def worker(index):
        results[index] = [salarymodel.predict(*q) for q in queries * 20]

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    for index in range(8):
        assert results[index] == serial * 20


@pytest.mark.slow  # a whole training run
def test_a_failed_copy_of_the_training_set_blames_the_copy_not_the_model(tmp_path):
    # --data-out holds a folder where the copy's file would go: the model has already
    # switched in --out, so the message says so and names the copy that failed.
    (tmp_path / "d" / "training_set.csv").mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel.train", "--out", "m", "--data-out", "d", "--rows", "2000"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "the new model is in place in m" in done.stderr and "d/training_set.csv could not be written" in done.stderr
    assert "previous model" not in done.stderr
    assert load_model(tmp_path / "m").predict("Germany", 5).median > 0
