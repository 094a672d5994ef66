"""The README's numbers come from commands shown beside them (issue 23): each
quoted command is run on a model trained as README command 1 trains it
(seed 0, default rows), and its printed lines, or the numbers in the prose
around it, must match. Editing a quoted number makes this fail."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _quoted_runs(text: str) -> list[tuple[str, list[str]]]:
    """(command, expected lines) for each ``python -m salarymodel.predict`` line
    in a bash block that is followed by its output as ``#  `` comment lines."""
    runs = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("python -m salarymodel.predict") and i + 1 < len(lines) and \
                    lines[i + 1].startswith("#  "):
                expected = []
                for follow in lines[i + 1:]:
                    if not follow.startswith("#  "):
                        break
                    expected.append(follow[3:])
                runs.append((line.split("  #")[0].strip(), expected))
    return runs


def test_the_readme_quotes_at_least_one_command_with_its_output():
    runs = _quoted_runs(README.read_text())
    assert runs and all("--as-of" in command for command, _ in runs)  # pinned money: the output cannot drift


@pytest.mark.parametrize(("command", "expected"), _quoted_runs(README.read_text()))
def test_each_quoted_command_prints_what_the_readme_says(model_dir, command, expected):
    args = shlex.split(command)[3:]  # after "python -m salarymodel.predict"
    done = subprocess.run([sys.executable, "-m", "salarymodel.predict", "--model", str(model_dir), *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [line.strip() for line in done.stdout.splitlines()] == [line.strip() for line in expected]


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_median_interval_numbers_in_the_prose(model):
    text = " ".join(README.read_text().split())
    found = re.search(r"US at 1 year, median ([\d,]+) USD known to ([\d,]+)–([\d,]+) from nine source units; "
                      r"Germany at 4 years, ([\d,]+) EUR known to ([\d,]+)–([\d,]+) from one", text)
    assert found, "the README's median-interval sentence moved; keep it tested"
    us, de = model.predict("US", 1, as_of="2023-07-01"), model.predict("DE", 4, as_of="2023-07-01")
    quoted = [_number(v) for v in found.groups()]
    actual = [us.median, us.median_low, us.median_high, de.median, de.median_low, de.median_high]
    assert quoted == [round(v) for v in actual]
    assert "--country US --years 1 --as-of 2023-07-01" in text  # the command that prints them


def test_the_band_ratios_in_what_a_band_means(model):
    text = " ".join(README.read_text().split())
    found = re.search(r"high/low is ([\d.]+)–([\d.]+) for the US at 5, 10 and 15 years and ([\d.]+)–([\d.]+) for "
                      r"Germany at 1 and 4 years", text)
    assert found
    us = [model.predict("US", y, as_of="2023-07-01") for y in (5, 10, 15)]
    de = [model.predict("DE", y, as_of="2023-07-01") for y in (1, 4)]
    us_ratios = [e.high / e.low for e in us]
    de_ratios = [e.high / e.low for e in de]
    assert [float(v) for v in found.groups()] == [round(min(us_ratios), 2), round(max(us_ratios), 2),
                                                  round(min(de_ratios), 2), round(max(de_ratios), 2)]
