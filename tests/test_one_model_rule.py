"""Daily use: one rule for which model answers,
argument errors as JSON, currency errors that list only what works."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from helpers import uk_figures
from salarymodel import load_model


def _env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "SALARYMODEL_MODEL_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # a first-use training would land here
    return env


def test_python_and_the_command_line_answer_from_the_same_model(tmp_path):
    env = _env(tmp_path)
    trained = subprocess.run(
        [sys.executable, "-m", "salarymodel.train", "--rows", "500"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )  # README command 1: ./models
    assert trained.returncode == 0, trained.stderr
    cli = subprocess.run(
        [sys.executable, "-m", "salarymodel", "predict", "--country", "DE", "--years", "5", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    python = subprocess.run(
        [sys.executable, "-c", "import json, salarymodel; print(json.dumps(salarymodel.predict('DE', 5).to_dict()))"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    from_cli, from_python = json.loads(cli.stdout), json.loads(python.stdout)
    assert from_cli.pop("model") == str((tmp_path / "models").resolve())
    assert from_cli == from_python
    assert "training" not in python.stderr and not (tmp_path / "cache").exists()  # no second training


def test_the_environment_variable_comes_before_local_models(tmp_path, model_dir):
    env = _env(tmp_path)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "salary_model.json").write_text("{}")  # a broken local model, never read
    env["SALARYMODEL_MODEL_DIR"] = str(model_dir)
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel", "predict", "--country", "DE", "--years", "5", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert json.loads(done.stdout)["model"] == str(model_dir.resolve())


@pytest.mark.parametrize(
    "args",
    [["--years", "abc"], ["--country", "DE"], ["--input", "x.csv"], ["--chunk-size", "0", "--input", "a", "--output", "b"]],
)
def test_argument_errors_are_json_under_json(model_dir, args):
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel", "predict", "--model", str(model_dir), "--json", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    error = json.loads(done.stdout)
    assert error["type"] == "ArgumentError" and error["error"]


def test_the_currency_error_lists_only_currencies_with_a_rate(model_dir):
    model = load_model(model_dir)
    with pytest.raises(ValueError) as raised:
        model.predict("DE", 5, currency="XXX")
    listed = str(raised.value).split(": ")[-1].rstrip(".").split(", ")
    assert "USD" in listed and not {"CYP", "EEK", "TRL", "RUB"} & set(listed)
    for code in listed:  # every listed currency works at the default date
        assert model.predict("DE", 5, currency=code).currency == code
    with pytest.raises(ValueError, match="quoted then") as raised:
        model.predict("DE", 5, currency="RUB", as_of="2026-10")
    assert "RUB" not in str(raised.value).split("quoted then: ")[1]


@pytest.mark.slow  # two trainings; records in a new country are aged the same way in test_posterior_serving.py
def test_a_new_country_can_be_aged_with_your_own_wage_index(tmp_path):
    from salarymodel.data.shipped import raw_data_file
    from salarymodel.train import train

    figures = uk_figures(tmp_path)
    without = train(figures, rows_per_country=500).model
    with pytest.raises(ValueError, match="--wage-index"):
        without.predict("GB", 5, as_of="2026-07-01")
    index = tmp_path / "wage_index.csv"
    index.write_text(
        raw_data_file("wage_index.csv").read_text() + "GB,2022-12,,ONS average weekly earnings (example),test\n"
        "GB,2023-12,6.0,ONS average weekly earnings (example),test\n"
        "GB,2024-12,5.0,ONS average weekly earnings (example),test\n"
    )
    result = train(figures, rows_per_country=500, data_dir=tmp_path)  # the --data form: the folder holds it
    later = result.model.predict("GB", 5, as_of="2026-07-01")
    reference = result.model.predict("GB", 5, as_of="2023-07-01")
    assert later.median > reference.median and later.currency == "GBP"
    assert result.card["tables"]["wage_index"]["file"] == str(index)
    assert result.card["tables"]["cpi"]["file"] == "shipped"


def test_bad_own_tables_are_refused_before_any_work(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel.train", "--wage-index", "nope.csv", "--out", "m"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "'wage_index' parameter names nope.csv, which is not a file. (set by --wage-index)" in done.stderr
    (tmp_path / "aliases.csv").write_text("name,company\nX,Y\n")
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel.train", "--aliases", "aliases.csv", "--out", "m", "--rows", "300"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2 and "lacks the column(s) ['alias']" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "m").exists()
