"""The command line's batch honours --percentiles and --explain, and Python says
when an employer is unknown."""

from __future__ import annotations

import io
import subprocess
import sys
import warnings

import pandas as pd
import pytest

from salarymodel.errors import UnknownEmployerWarning

AS_OF = "2023-07-01"


def _batch(model_dir, source, *options) -> subprocess.CompletedProcess:
    return subprocess.run(
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
            "-",
            "--as-of",
            AS_OF,
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_percentiles_and_sources_columns_are_what_python_gives(model, model_dir, tmp_path):
    source = tmp_path / "profiles.csv"
    source.write_text("country,years,company\nDE,5,\nUS,7.3,TikTok\nIN,3-5,Infosys\nXX,1,\n")
    done = _batch(model_dir, source, "--percentiles", "25,75", "--explain")
    assert done.returncode == 3 and "Traceback" not in done.stderr  # XX is one bad row
    assert "into standard output" in done.stderr
    import io

    written = pd.read_csv(io.StringIO(done.stdout), keep_default_na=False)
    assert list(written.columns[-4:]) == ["p25", "p75", "sources", "error"]
    for row, years, company in [(0, 5, None), (1, 7.3, "TikTok"), (2, (3, 5), "Infosys")]:
        country = written["country"][row]
        expected = model.percentiles(country, years, company, q=(25, 75), as_of=AS_OF)
        # The file holds amounts to the cent.
        assert float(written["p25"][row]) == pytest.approx(expected[25], abs=0.006)
        assert float(written["p75"][row]) == pytest.approx(expected[75], abs=0.006)
        assert written["sources"][row].split(";") == list(model.predict(country, years, company, as_of=AS_OF).sources)
    assert written["sources"][3] == "" and written["p25"][3] == "" and written["error"][3].startswith("country:")


def test_without_the_options_the_batch_adds_only_the_estimate(model_dir, tmp_path):
    source = tmp_path / "profiles.csv"
    source.write_text("country,years\nDE,5\n")
    done = _batch(model_dir, source)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        "country,years,low,median,high,currency,company_known,employer,support,as_of,projected,error"
    )


def test_a_percentile_list_that_is_not_numbers_is_refused_by_option(model_dir, tmp_path):
    source = tmp_path / "profiles.csv"
    source.write_text("country,years\nDE,5\n")
    done = _batch(model_dir, source, "--percentiles", "10,abc")
    assert done.returncode == 2 and "'--percentiles' option" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""  # nothing written before the options were checked


def test_python_warns_when_an_employer_is_unknown_and_names_the_suggestion(model):
    with pytest.warns(
        UnknownEmployerWarning, match="no figures for the employer 'Microsfot' in India.*Did you mean 'Microsoft'"
    ) as caught:
        estimate = model.predict("IN", 5, "Microsfot")
    # The warning points at the caller's line, not at the library's.
    assert caught[0].filename == __file__
    assert not estimate.company_known and estimate.suggestion == "Microsoft"
    assert "company_known=False" in repr(estimate) and "suggestion='Microsoft'" in repr(estimate)
    with pytest.warns(UnknownEmployerWarning, match="'Gogle' in United States"):
        model.predict("US", (3, 5), "Gogle")


def test_a_known_employer_or_the_market_gives_no_warning(model):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict("IN", 5, "Microsoft")
        model.predict("IN", 5)
        model.predict("IN", 5, float("nan"))
        model.predict("IN", (3, 5), "TCS")


def test_the_command_line_says_it_once_in_its_answer_not_as_a_warning(model_dir):
    done = subprocess.run(
        [
            sys.executable,
            "-W",
            "default",
            "-m",
            "salarymodel",
            "predict",
            "--model",
            str(model_dir),
            "--country",
            "IN",
            "--years",
            "5",
            "--company",
            "Microsfot",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr == ""
    assert "Microsfot has no figures here: this is the market's estimate. Did you mean Microsoft?" in done.stdout


def test_each_row_says_the_employer_its_company_resolved_to(model_dir, tmp_path, model):
    source = tmp_path / "profiles.csv"
    source.write_text("country,years,company\nUS,5,ByteDance\nUS,5,\nIN,3,tcs\nUS,5,Initech\nXX,2,TikTok\n")
    done = _batch(model_dir, source)
    assert done.returncode == 3, done.stderr
    out = pd.read_csv(io.StringIO(done.stdout), keep_default_na=False)
    assert out["employer"].tolist() == [
        "TikTok",
        "",
        "Tata Consultancy Services",
        "",
        "",
    ]  # the market, unknown, and a bad row: empty
    frame = model.predict_frame(pd.DataFrame({"country": ["US", "IN"], "years": [5, 3], "company": ["bytedance", None]}))
    assert frame["employer"].tolist()[0] == "TikTok" and pd.isna(frame["employer"].tolist()[1])
    assert list(frame["employer"].cat.categories) == sorted({c for _, c in model.core.cells if c})
