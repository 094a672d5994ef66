"""python -m salarymodel.predict: one profile, JSON, explanation, batch."""

from __future__ import annotations

import json
import subprocess
import sys


def _predict(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "salarymodel.predict", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_one_profile_prints_a_readable_line(model_dir, model):
    done = _predict("--model", str(model_dir), "--country", "Germany", "--years", "5")
    assert done.returncode == 0, done.stderr
    median = model.predict("Germany", 5).median
    assert f"median {median:,.0f} EUR" in done.stdout and "80% band" in done.stdout


def test_json_output_is_the_estimate(model_dir, model):
    done = _predict("--model", str(model_dir), "--country", "india", "--years", "3", "--company", "TCS",
                    "--confidence", "0.9", "--currency", "USD", "--json")
    data = json.loads(done.stdout)
    expected = model.predict("india", 3, "TCS", confidence=0.9, currency="USD").to_dict()
    assert data == json.loads(json.dumps(expected))


def test_explain_prints_the_figures_behind_the_estimate(model_dir):
    done = _predict("--model", str(model_dir), "--country", "Germany", "--years", "4", "--explain")
    assert done.returncode == 0, done.stderr
    assert "support: moderate" in done.stdout
    line = next(l for l in done.stdout.splitlines() if l.strip().startswith("f18"))
    assert "60,000" in line and "80,000" in line
    as_json = json.loads(_predict("--model", str(model_dir), "--country", "Germany", "--years", "4",
                                  "--explain", "--json").stdout)
    assert [row["id"] for row in as_json["explanation"]] == ["f18"]


def test_bad_input_exits_2_with_the_reason_and_no_traceback(model_dir):
    done = _predict("--model", str(model_dir), "--country", "France", "--years", "4")
    assert done.returncode == 2 and "France" in done.stderr and "Traceback" not in done.stderr
    done = _predict("--model", str(model_dir), "--country", "US", "--years", "-3")
    assert done.returncode == 2 and "'years'" in done.stderr
