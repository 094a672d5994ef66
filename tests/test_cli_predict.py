"""python -m salarymodel predict: one profile, JSON, explanation, batch."""

from __future__ import annotations

import json
import subprocess
import sys


def _predict(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "salarymodel", "predict", *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def test_one_profile_prints_a_readable_line(model_dir, model):
    done = _predict("--model", str(model_dir), "--country", "Germany", "--years", "5")
    assert done.returncode == 0, done.stderr
    e = model.predict("Germany", 5)
    assert done.stdout.startswith(
        f"80% of ML engineers in Germany with 5 years of experience earn between {e.low:,.0f} and "
        f"{e.high:,.0f} EUR; median {e.median:,.0f} EUR"
    ), done.stdout
    assert "Base salary per year" in done.stdout


def test_json_output_is_the_estimate(model_dir, model):
    done = _predict(
        "--model",
        str(model_dir),
        "--country",
        "india",
        "--years",
        "3",
        "--company",
        "TCS",
        "--confidence",
        "0.9",
        "--currency",
        "USD",
        "--json",
    )
    data = json.loads(done.stdout)
    expected = model.predict("india", 3, "TCS", confidence=0.9, currency="USD").to_dict()
    assert data.pop("model") == str(model_dir.resolve())  # which model answered
    assert data == json.loads(json.dumps(expected))


def test_explain_prints_the_figures_behind_the_estimate(model_dir):
    # In the reference money (1 July 2023) f18 shows exactly as reported.
    done = _predict("--model", str(model_dir), "--country", "Germany", "--years", "4", "--explain", "--as-of", "2023-07-01")
    assert done.returncode == 0, done.stderr
    assert "support: moderate" in done.stdout and "money of 2023-07-01" in done.stdout
    line = next(text for text in done.stdout.splitlines() if text.strip().startswith("f18"))
    assert "60,000" in line and "80,000" in line
    as_json = json.loads(
        _predict("--model", str(model_dir), "--country", "Germany", "--years", "4", "--explain", "--json").stdout
    )
    assert [row["id"] for row in as_json["explanation"]] == ["f18"]


def test_bad_input_exits_2_with_the_reason_and_no_traceback(model_dir):
    done = _predict("--model", str(model_dir), "--country", "France", "--years", "4")
    assert done.returncode == 2 and "France" in done.stderr and "Traceback" not in done.stderr
    done = _predict("--model", str(model_dir), "--country", "US", "--years", "-3")
    assert done.returncode == 2 and "'years'" in done.stderr


def _profiles_csv(path, n, seed=0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "country": rng.choice(["US", "Germany", "india", "DE"], n),
            "years": rng.uniform(0, 40, n).round(2),
            "company": rng.choice(["", "TikTok", "TCS", "Initech"], n),
        }
    )
    frame.to_csv(path, index=False)
    return frame


def test_batch_scores_a_200k_row_csv_like_predict_frame(model_dir, model, tmp_path):
    import pandas as pd

    profiles = _profiles_csv(tmp_path / "profiles.csv", 200_000)
    done = _predict(
        "--model",
        str(model_dir),
        "--input",
        str(tmp_path / "profiles.csv"),
        "--output",
        str(tmp_path / "estimates.csv"),
        "--chunk-size",
        "50000",
    )
    assert done.returncode == 0, done.stderr
    out = pd.read_csv(tmp_path / "estimates.csv", keep_default_na=False, na_values={"median": [""]})
    assert len(out) == 200_000 and list(out.columns[:3]) == ["country", "years", "company"]
    expected = model.predict_frame(profiles.assign(company=profiles["company"].replace("", None)))
    assert (abs(out["median"] - expected["median"]) <= 0.006).all()  # written with 2 decimals
    assert (out["support"] == expected["support"]).all()


def test_batch_reports_bad_rows_by_line_and_keeps_the_good_ones(model_dir, tmp_path):
    import pandas as pd

    (tmp_path / "in.csv").write_text("country,years,company\nUS,3,\nNarnia,3,\nDE,-2,\nIN,4,TCS\nUS,,\n")
    done = _predict("--model", str(model_dir), "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.csv"))
    assert done.returncode == 3
    assert "line 3: country" in done.stderr and "line 4: years" in done.stderr and "line 6: years" in done.stderr
    out = pd.read_csv(tmp_path / "out.csv")
    assert len(out) == 5
    assert out["median"].notna().tolist() == [True, False, False, True, False]


def test_console_script_mirrors_the_module_commands(model_dir):
    import shutil

    script = shutil.which("salarymodel") or str(__import__("pathlib").Path(sys.executable).with_name("salarymodel"))
    usage = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 0
    for command in ("train", "predict", "evaluate"):
        assert command in usage.stdout
    via_script = subprocess.run(
        [script, "predict", "--model", str(model_dir), "--country", "DE", "--years", "4", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    via_module = _predict("--model", str(model_dir), "--country", "DE", "--years", "4", "--json")
    assert json.loads(via_script.stdout) == json.loads(via_module.stdout)
    unknown = subprocess.run([script, "fly"], capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "unknown command" in unknown.stderr


def test_an_error_about_a_parameter_names_the_option_that_sets_it(model_dir):
    done = _predict("--model", str(model_dir), "--country", "DE", "--years", "70")
    assert done.returncode == 2 and done.stderr.strip().endswith("(set by --years)"), done.stderr
    as_json = _predict("--model", str(model_dir), "--country", "DE", "--years", "5", "--as-of", "2099-01", "--json")
    answer = json.loads(as_json.stdout)
    assert answer["option"] == "--as-of" and answer["type"] == "ParameterError"
