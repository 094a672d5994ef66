"""Batch scoring under hostile files: outputs that are devices, links or the
input itself; bad lines; headers with a BOM or duplicates; bad chunk sizes
(issue 21, families 1, 2, 6, 7, 9)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest


def _score(model_dir, source, target, *extra, cwd=None):
    return subprocess.run([sys.executable, "-m", "salarymodel.predict", "--model", str(model_dir), "--input",
                           str(source), "--output", str(target), *extra], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


@pytest.fixture
def profiles(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b"country,years,company\nDE,5,\nUS,3,TikTok\nXX,4,\n")
    return path


def test_output_equal_to_input_is_refused_before_reading(model_dir, profiles):
    before = profiles.read_bytes()
    done = _score(model_dir, profiles, profiles)
    assert done.returncode == 2 and "names the input file" in done.stderr and "Traceback" not in done.stderr
    assert profiles.read_bytes() == before


def test_output_linked_to_the_input_is_refused(model_dir, profiles, tmp_path):
    link = tmp_path / "link.csv"
    link.symlink_to(profiles)
    before = profiles.read_bytes()
    done = _score(model_dir, profiles, link)
    assert done.returncode == 2 and "names the input file" in done.stderr
    assert profiles.read_bytes() == before and link.is_symlink()


def test_a_symlinked_output_is_followed_and_the_link_kept(model_dir, profiles, tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("old")
    link = tmp_path / "out.csv"
    link.symlink_to(target)
    done = _score(model_dir, profiles, link)
    assert done.returncode == 3, done.stderr  # one bad row (XX)
    assert link.is_symlink() and target.read_text().startswith("country,years,company,low,median")


def test_a_fifo_output_is_written_to_not_replaced(model_dir, profiles, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()))
    reader.start()
    done = _score(model_dir, profiles, fifo)
    reader.join(timeout=60)
    assert done.returncode == 3 and received and received[0].startswith(b"country,years,company,low")
    assert fifo.is_fifo()  # still a FIFO, not a regular file


def test_a_character_device_output_is_written_to_not_replaced(model_dir, profiles):
    done = _score(model_dir, profiles, "/dev/null")
    assert done.returncode == 3 and os.path.exists("/dev/null")
    assert not os.path.isfile("/dev/null")


@pytest.mark.parametrize("size", ["0", "-1", "abc"])
def test_chunk_size_must_be_a_positive_whole_number(model_dir, profiles, tmp_path, size):
    done = _score(model_dir, profiles, tmp_path / "out.csv", "--chunk-size", size)
    assert done.returncode == 2 and "positive whole number" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out.csv").exists()


def test_a_bom_header_keeps_every_column(model_dir, tmp_path):
    source = tmp_path / "bom.csv"
    source.write_bytes(b"\xef\xbb\xbfcompany,country,years\nTCS,IN,3\n")
    done = _score(model_dir, source, tmp_path / "out.csv")
    assert done.returncode == 0, done.stderr
    line = (tmp_path / "out.csv").read_bytes().splitlines()[1].decode()
    assert line.startswith("TCS,IN,3,") and ",True," in line  # TCS is known: the company column was read


def test_duplicate_columns_are_refused_by_name(model_dir, tmp_path):
    source = tmp_path / "dup.csv"
    source.write_bytes(b"country,years,country\nDE,5,US\n")
    done = _score(model_dir, source, tmp_path / "out.csv")
    assert done.returncode == 2 and "['country'] more than once" in done.stderr and "Traceback" not in done.stderr


def test_one_bad_line_is_one_bad_row_and_the_rest_is_scored(model_dir, tmp_path):
    source = tmp_path / "bad.csv"
    good = b"DE,5,\n" * 1000
    source.write_bytes(b"country,years,company\n" + good + b"IN,2,Acme, Inc\n" + b"DE,\xff5,\n" + good
                       + b"\n" + b"US,3,TikTok,extra")  # a ragged last line without its newline
    done = _score(model_dir, source, tmp_path / "out.csv")
    assert done.returncode == 3
    lines = (tmp_path / "out.csv").read_bytes().split(b"\n")
    assert len(lines) == 1 + 2000 + 4 + 1  # header, rows, the four bad lines, final newline
    assert "line 1002: the line has 4 fields" in done.stderr and "line 1003: the line is not valid UTF-8" \
        in done.stderr and "line 2004: blank line" in done.stderr and "line 2005: the line has 4 fields" \
        in done.stderr
    # The line as read, nine new columns: eight empty, then the reason.
    assert lines[1002] == b"DE,\xff5," + b"," * 9 + b'"the line is not valid UTF-8 (save the file as UTF-8)"'
    assert "Scored 2,000 of 2,004 rows" in done.stderr


def test_quoted_lines_keep_their_true_line_numbers_and_blank_lines(model_dir, tmp_path):
    source = tmp_path / "quoted.csv"
    source.write_bytes(b'company,country,years\n"Acme, Inc",US,4\n\n"two\nlines",DE,2\nTCS,IN,x\n')
    done = _score(model_dir, source, tmp_path / "out.csv")
    assert done.returncode == 3
    text = (tmp_path / "out.csv").read_bytes()
    assert text.count(b"\n") == 6 and b'"two\nlines",DE,2,' in text  # the blank line is kept, as a bad row
    assert "line 3: blank line" in done.stderr and "line 4: company" in done.stderr and "line 6: years" \
        in done.stderr


def test_the_fast_path_scores_text_as_predict_frame_does(model_dir, tmp_path):
    # Names are read as categories and years as floats where Arrow can; each
    # odd value must still get the answer (and the words) predict_frame gives its text.
    import pandas as pd

    from salarymodel import load_model

    lines = ["DE,5,", "germany,5,", ",3,", "US,-1,", "US,1_0,", "US, 7,", "IN,2.5,TCS", "IN,2.5,", "US,nan,",
             "US,1e1,", "XX,4,", "US,4, ", "US,60,", "DE,0,TikTok"]
    source = tmp_path / "odd.csv"
    source.write_text("country,years,company\n" + "\n".join(lines) + "\n")
    done = _score(model_dir, source, tmp_path / "out.csv", "--as-of", "2025-07-01")
    assert done.returncode == 3 and "Traceback" not in done.stderr
    got = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    text = pd.read_csv(source, dtype=str, keep_default_na=False)
    expected = load_model(model_dir).predict_frame(
        text.assign(country=text["country"].replace("", None)), errors="coerce", as_of="2025-07-01")
    for column in ("low", "median", "high"):
        assert [f"{v:.2f}" if v == v else "" for v in expected[column]] == got[column].tolist()
    assert got["error"].tolist() == expected["error"].tolist()
    assert "got '-1'" in got.at[3, "error"] and got.at[2, "error"] == "country: missing country"
