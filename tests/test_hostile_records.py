"""Hostile records files: every refusal names the file, the line, the column and the fix,
before any sampling (a bad row must not cost a training run)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from salarymodel.data.records import load_records
from salarymodel.data.training_data import training_data
from salarymodel.errors import FiguresError

HEADER = "country,years,company,salary,currency,year,pay,source\n"
GOOD = "DE,5,,70000,EUR,2023,base,survey\n"


def _file(tmp_path, *rows: str, header: str = HEADER):
    path = tmp_path / "records.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def _refusal(path) -> str:
    with pytest.raises(FiguresError) as error:
        load_records(path)
    text = str(error.value)
    assert str(path) in text and "records file" in text
    return text


def test_a_company_predict_would_refuse_is_refused_at_its_line(tmp_path):
    long = _file(tmp_path, GOOD, GOOD, f"DE,5,{'X' * 150},70000,EUR,2023,base,survey\n")
    assert "line 4, column 'company': must be at most 100 characters (this one has 150)" in _refusal(long)
    broken = _file(tmp_path, GOOD, 'DE,5,"Acme\nCorp",70000,EUR,2023,base,survey\n')
    assert "line 3, column 'company': must be printable text on one line" in _refusal(broken)
    source = _file(tmp_path, f"DE,5,,70000,EUR,2023,base,{'s' * 101}\n")
    assert "line 2, column 'source': must be at most 100 characters" in _refusal(source)


def test_a_repeated_column_is_refused_not_silently_dropped(tmp_path):
    path = _file(tmp_path, "DE,5,,70000,EUR,2023,base,survey,80000\n", header=HEADER.strip() + ",salary\n")
    assert "line 1: the column(s) 'salary' appear more than once" in _refusal(path)


def test_an_empty_file_says_what_a_records_file_starts_with(tmp_path):
    path = _file(tmp_path, header="")
    assert "the file is empty: a records file starts with the header country,years," in _refusal(path)


def test_an_unknown_currency_is_refused_at_its_line(tmp_path):
    path = _file(tmp_path, GOOD, "DE,5,,70000,XYZ,2023,base,survey\n")
    assert "line 3, column 'currency': must be a currency the ECB quotes" in _refusal(path)


def test_a_year_before_the_wage_index_names_its_line_not_as_of(tmp_path):
    path = _file(tmp_path, GOOD, "DE,5,,70000,EUR,1990,base,survey\n")
    with pytest.raises(FiguresError) as error:
        training_data(records=load_records(path))
    text = str(error.value)
    assert f"records file {path}" in text
    assert "line 3, column 'year': The wage index for DE starts in 2019-07" in text and "--wage-index FILE" in text
    assert "as_of" not in text and "as-of" not in text


def test_a_frame_of_the_callers_is_named_by_its_rows(tmp_path):
    frame = load_records(_file(tmp_path, GOOD, GOOD)).reset_index(drop=True)
    frame.loc[1, "year"] = 1990
    with pytest.raises(FiguresError, match=r"row 1, column 'year'"):
        training_data(records=frame)


def test_many_bad_rows_give_a_message_of_bounded_length(tmp_path):
    path = _file(tmp_path, *["DE,-1,,70000,EUR,2023,base,survey\n"] * 500)
    text = _refusal(path)
    assert text.startswith("500 problem(s)") and "and 480 more problem(s) like these" in text
    assert text.count("column 'years'") == 20


def test_evaluate_real_names_the_line_of_a_year_it_cannot_age(tmp_path, model_dir):
    path = _file(tmp_path, GOOD, "DE,5,,70000,EUR,1990,base,survey\n")
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel.evaluate", "--model", str(model_dir), "--real", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "line 3, column 'year'" in done.stderr and "FiguresError" not in done.stderr


def test_good_rows_keep_their_lines_and_file(tmp_path):
    path = _file(tmp_path, GOOD, GOOD)
    frame = load_records(path)
    assert frame.index.name == "line" and frame.index.tolist() == [2, 3] and frame.attrs["path"] == str(path)


def test_a_file_over_the_row_limit_is_refused_before_a_row_is_read(tmp_path):
    from salarymodel.data.records import MAX_RECORDS

    path = tmp_path / "records.csv"
    path.write_text(HEADER + GOOD * (MAX_RECORDS + 1), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel.evaluate", "--real", str(path)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert (
        f"the file has {MAX_RECORDS + 1:,} lines after its header" in done.stderr
        and f"at most {MAX_RECORDS:,} rows" in done.stderr
    )
    assert "read " not in done.stderr  # no block was read: the count came first


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    from salarymodel.data.records import MAX_RECORDS_BYTES

    path = _file(tmp_path, GOOD)
    with open(path, "r+b") as stream:
        stream.truncate(MAX_RECORDS_BYTES + 1)  # sparse: costs no disk
    text = _refusal(path)
    assert f"the file has {MAX_RECORDS_BYTES + 1:,} bytes; a records file may have at most {MAX_RECORDS_BYTES:,}" in text


def test_a_file_is_read_in_blocks_with_progress_and_its_true_line_numbers(tmp_path, monkeypatch):
    from salarymodel.data import records

    monkeypatch.setattr(records, "CHUNK_ROWS", 5)
    told: list[str] = []
    path = _file(tmp_path, *[GOOD] * 12)
    frame = records.load_records(path, progress=told.append)
    assert len(frame) == 12 and frame.index.tolist() == list(range(2, 14))
    assert told == [f"read {n} records from {path}" for n in (5, 10, 12)]
    bad = _file(tmp_path, *[GOOD] * 7, "DE,five,,70000,EUR,2023,base,survey\n", *[GOOD] * 4)
    with pytest.raises(FiguresError, match="line 9, column 'years'"):
        records.load_records(bad)


def test_the_usage_guide_states_the_limits_the_reader_applies():
    from pathlib import Path

    from salarymodel.data import records

    text = " ".join((Path(__file__).resolve().parents[1] / "docs" / "usage.md").read_text(encoding="utf-8").split())
    assert "A file holds at most 250,000 rows and 64 MiB (`MAX_RECORDS`, `MAX_RECORDS_BYTES`" in text
    assert "it is read 50,000 rows at a time" in text
    assert (records.MAX_RECORDS, records.MAX_RECORDS_BYTES, records.CHUNK_ROWS) == (250_000, 64 << 20, 50_000)


def test_cells_are_read_by_the_one_reader_of_numbers_and_named_in_the_files_order(tmp_path):
    # Plain numerals are converted a block at a time; every other text still goes through
    # parse_number, and the refusals keep the file's order: line, then column.
    rows = [
        GOOD,
        'DE,2.5,,"70,000",EUR,2023,base,survey\n',
        "DE,5,,75.000,EUR,2023.5,base,survey\n",
        "XX,-1,,\uff170000,EUR,2023,base,survey\n",
        'IN,.5,,"14,50,000",inr,2019.0,total,job board\n',
    ]
    text = _refusal(_file(tmp_path, *rows))
    named = [line.split(":")[0].strip(" -") for line in text.splitlines() if line.strip(" -").startswith("line ")]
    assert named == [
        "line 4, column 'salary'",
        "line 4, column 'year'",
        "line 5, column 'country'",
        "line 5, column 'years'",
        "line 5, column 'salary'",
    ]
    assert "Got '75.000'" in text and "Got '\uff170000'" in text
    frame = load_records(_file(tmp_path, rows[0], rows[1], rows[4]))
    assert frame["salary"].tolist() == [70000.0, 70000.0, 1450000.0] and frame["years"].tolist() == [5.0, 2.5, 0.5]
    assert frame["year"].tolist() == [2023, 2023, 2019] and frame["currency"].tolist() == ["EUR", "EUR", "INR"]
    assert frame["company"].isna().all() and frame["source"].tolist() == ["survey", "survey", "job board"]
