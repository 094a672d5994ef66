"""Daily use: typos get suggestions, batch output keeps its input,
one model never overwrites another's files, figures files take country names,
fits run with bounded threads, and the command line's rough edges."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from helpers import model_file
from salarymodel import UnknownCountryError
from salarymodel.data.shipped import raw_data_file


def _run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=600, cwd=cwd, env=env)


def test_an_employer_typo_gets_the_closest_known_employer(model):
    estimate = model.predict("India", 3, "Microsfot")
    assert not estimate.company_known and estimate.suggestion == "Microsoft"
    assert model.predict("India", 3, "Microsoft").suggestion is None
    assert model.predict("India", 3, "Initech").suggestion is None  # nothing close: no guess


def test_a_country_typo_gets_a_suggestion(model):
    with pytest.raises(UnknownCountryError, match="Did you mean 'Germany'") as caught:
        model.predict("Germny", 3)
    assert caught.value.suggestion == "Germany"


def test_the_model_lists_what_it_knows(model, model_dir):
    known = {item["country"]: item for item in model.known()}
    assert set(known) == {"DE", "IN", "US"} and known["US"]["employers"] == ["TikTok"]
    assert "Tata Consultancy Services" in known["IN"]["employers"] and known["IN"]["currency"] == "INR"
    listed = _run("salarymodel", "predict", "--model", str(model_dir), "--list")
    assert listed.returncode == 0 and "IN (India, INR): employers Accenture" in listed.stdout


def test_bad_batch_rows_are_empty_and_input_lines_come_back_byte_for_byte(model, model_dir, tmp_path):
    lines = ["country,years,company", "US,007,", "Narnia,3,", "DE,5,", "IN,4.50,TCS", "US,,Initech"]
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n")
    done = _run(
        "salarymodel",
        "predict",
        "--model",
        str(model_dir),
        "--input",
        str(tmp_path / "in.csv"),
        "--output",
        str(tmp_path / "out.csv"),
    )
    assert done.returncode == 3
    written = (tmp_path / "out.csv").read_text().splitlines()
    for original, line in zip(lines, written):
        assert line.startswith(original + ",")  # the input, exactly as it was
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert out["currency"].tolist() == ["USD", "", "EUR", "INR", ""]
    assert out["company_known"].tolist() == ["False", "", "False", "True", ""]
    # The same in Python: a bad row has no currency.
    scored = model.predict_frame(pd.DataFrame({"country": ["US", "Narnia"], "years": [7, 3]}), errors="coerce")
    assert scored["currency"].isna().tolist() == [False, True]


def test_training_into_another_folder_leaves_the_default_models_files_alone(tmp_path):
    (tmp_path / "data" / "processed").mkdir(parents=True)
    (tmp_path / "models").mkdir()
    default_set = tmp_path / "data" / "processed" / "training_set.csv"
    default_set.write_text("the default model's training set")
    (tmp_path / "models" / "salary_model.json").write_text("{}")
    done = _run("salarymodel.train", "--out", "my_model", "--rows", "3000", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert default_set.read_text() == "the default model's training set"
    assert (tmp_path / "models" / "salary_model.json").read_text() == "{}"
    assert model_file(tmp_path / "my_model", "training_set").exists()
    assert not (tmp_path / "my_model" / "training_set.csv").exists()  # no copy asked for


def test_a_figures_file_takes_country_names_as_predict_does(tmp_path):
    from salarymodel.data.figures import load_figures

    table = pd.read_csv(raw_data_file("reported_figures.csv"), dtype=str, keep_default_na=False)
    table["country"] = table["country"].replace({"DE": "Deutschland", "US": "United States", "IN": "india"})
    table.to_csv(tmp_path / "named.csv", index=False)
    assert load_figures(tmp_path / "named.csv")["country"].tolist() == load_figures()["country"].tolist()


def test_fits_run_with_the_thread_limit(monkeypatch):
    from threadpoolctl import threadpool_info

    from salarymodel.train import train
    from salarymodel.training.quantile_curves import QuantileCurves

    seen = []
    original = QuantileCurves.fit

    def recording_fit(self, *args, **kwargs):
        seen.append({pool["internal_api"]: pool["num_threads"] for pool in threadpool_info()})
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuantileCurves, "fit", recording_fit)
    monkeypatch.setenv("SALARYMODEL_THREADS", "1")
    train(rows_per_country=2000)
    assert seen and all(threads and set(threads.values()) == {1} for threads in seen)


def test_first_use_says_it_is_training_once(tmp_path):
    env = {**os.environ, "SALARYMODEL_MODEL_DIR": str(tmp_path / "cache")}
    code = "import salarymodel; print(round(salarymodel.predict('DE', 3).median))"
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    assert "training it from the shipped figures" in first.stderr and "5/5" in first.stderr
    assert second.stderr == "" and first.stdout == second.stdout


def test_command_line_rough_edges(model_dir):
    one = _run("salarymodel", "predict", "--model", str(model_dir), "--country", "US", "--years", "1")
    assert "with 1 year of experience" in one.stdout and "level: entry" in one.stdout
    error = _run("salarymodel", "predict", "--model", str(model_dir), "--country", "Germny", "--years", "1", "--json")
    assert error.returncode == 2
    assert json.loads(error.stdout)["type"] == "UnknownCountryError"
    bare = subprocess.run([sys.executable, "-m", "salarymodel.cli.console"], capture_output=True, text=True, timeout=60)
    assert bare.returncode == 2 and "a command is required" in bare.stderr
    explained = _run(
        "salarymodel",
        "predict",
        "--model",
        str(model_dir),
        "--country",
        "Germany",
        "--years",
        "4",
        "--explain",
        "--as-of",
        "2023-07-01",
    )
    assert "difference_high" in explained.stdout  # a range shows the error at both ends


def test_subcommand_help_names_the_console_script():
    shown = subprocess.run(
        [sys.executable, "-m", "salarymodel.cli.console", "predict", "--help"], capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0 and shown.stdout.startswith("usage: salarymodel predict")


def test_the_suite_itself_runs_with_bounded_threads():
    from threadpoolctl import threadpool_info

    assert os.environ.get("OMP_NUM_THREADS") == "1"
    pools = threadpool_info()
    assert pools and all(pool["num_threads"] == 1 for pool in pools)


def test_a_years_cell_written_as_a_range_is_a_range_in_frames_and_batches(model, model_dir, tmp_path):
    # A years cell '3-5' is a range, as --years 3-5 is on the command line.
    import subprocess
    import sys

    import pandas as pd

    expected = model.predict("DE", (3, 5)).median
    frame = pd.DataFrame({"country": ["DE", "DE", "DE"], "years": ["3-5", "3 to 5", "4"]})
    scored = model.predict_frame(frame)
    assert scored["median"].iloc[:2].tolist() == pytest.approx([expected, expected], rel=1e-12)
    assert scored["median"].iloc[2] == pytest.approx(model.predict("DE", 4).median, rel=1e-12)
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("country,years\nDE,3-5\nDE,5-3\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "salarymodel",
            "predict",
            "--model",
            str(model_dir),
            "--input",
            str(source),
            "--output",
            str(target),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    written = pd.read_csv(target, keep_default_na=False)
    assert float(written["median"][0]) == pytest.approx(expected, abs=0.01)
    assert "years_max" in written["error"][1] and done.returncode == 3  # a falling range is named


def test_a_ranges_mixture_on_41_points_matches_a_fine_average(model, monkeypatch):
    import numpy as np

    from salarymodel.serving import year_ranges

    levels = np.array([0.05, 0.1, 0.5, 0.9, 0.95])
    cases = [(cell, low, high) for cell in range(len(model.core.cells)) for low, high in ((0.5, 3), (1, 28), (10, 40))]
    coarse = [year_ranges.mixture_quantiles(model.core, *case, levels) for case in cases]
    monkeypatch.setattr(year_ranges, "MAX_RANGE_POINTS", 401)
    fine = [year_ranges.mixture_quantiles(model.core, *case, levels) for case in cases]
    assert np.abs(np.array(coarse) - np.array(fine)).max() < 0.001  # 0.1% in log pay
