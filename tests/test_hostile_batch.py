"""Batch scoring under hostile files: outputs that are devices, links or the
input itself; bad lines; headers with a BOM or duplicates; bad chunk sizes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest


def _score(model_dir, source, target, *extra, cwd=None):
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
            str(target),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


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
    source.write_bytes(
        b"country,years,company\n" + good + b"IN,2,Acme, Inc\n" + b"DE,\xff5,\n" + good + b"\n" + b"US,3,TikTok,extra"
    )  # a ragged last line without its newline
    done = _score(model_dir, source, tmp_path / "out.csv")
    assert done.returncode == 3
    lines = (tmp_path / "out.csv").read_bytes().split(b"\n")
    assert len(lines) == 1 + 2000 + 4 + 1  # header, rows, the four bad lines, final newline
    assert (
        "line 1002: the line has 4 fields" in done.stderr
        and "line 1003: the line is not valid UTF-8" in done.stderr
        and "line 2004: blank line" in done.stderr
        and "line 2005: the line has 4 fields" in done.stderr
    )
    # The line as read, ten new columns: nine empty, then the reason.
    assert lines[1002] == b"DE,\xff5," + b"," * 10 + b'"the line is not valid UTF-8 (save the file as UTF-8)"'
    assert "Scored 2,000 of 2,004 rows" in done.stderr


def test_quoted_lines_keep_their_true_line_numbers_and_blank_lines(model_dir, tmp_path):
    source = tmp_path / "quoted.csv"
    source.write_bytes(b'company,country,years\n"Acme, Inc",US,4\n\n"two\nlines",DE,2\nTCS,IN,x\n')
    done = _score(model_dir, source, tmp_path / "out.csv")
    assert done.returncode == 3
    text = (tmp_path / "out.csv").read_bytes()
    assert text.count(b"\n") == 6 and b'"two\nlines",DE,2,' in text  # the blank line is kept, as a bad row
    assert "line 3: blank line" in done.stderr and "line 4: company" in done.stderr and "line 6: years" in done.stderr


def test_the_fast_path_scores_text_as_predict_frame_does(model_dir, tmp_path):
    # Names are read as categories and years as floats where Arrow can; each
    # odd value must still get the answer (and the words) predict_frame gives its text.
    import pandas as pd

    from salarymodel import load_model

    lines = [
        "DE,5,",
        "germany,5,",
        ",3,",
        "US,-1,",
        "US,1_0,",
        "US, 7,",
        "IN,2.5,TCS",
        "IN,2.5,",
        "US,nan,",
        "US,1e1,",
        "XX,4,",
        "US,4, ",
        "US,60,",
        "DE,0,TikTok",
    ]
    source = tmp_path / "odd.csv"
    source.write_text("country,years,company\n" + "\n".join(lines) + "\n")
    done = _score(model_dir, source, tmp_path / "out.csv", "--as-of", "2025-07-01")
    assert done.returncode == 3 and "Traceback" not in done.stderr
    got = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    text = pd.read_csv(source, dtype=str, keep_default_na=False)
    expected = load_model(model_dir).predict_frame(
        text.assign(country=text["country"].replace("", None)), errors="coerce", as_of="2025-07-01"
    )
    for column in ("low", "median", "high"):
        assert [round(v, 2) if v == v else None for v in expected[column]] == [float(x) if x else None for x in got[column]]
    assert got["error"].tolist() == expected["error"].tolist()
    assert "got '-1'" in got.at[3, "error"] and got.at[2, "error"] == "country: missing country"


@pytest.mark.parametrize("quoted", [False, True], ids=["fast path", "quoted path"])
def test_a_windows_csv_keeps_its_line_ends_and_no_carriage_return_inside_a_field(model_dir, tmp_path, quoted):
    import pandas as pd

    source, target = tmp_path / "crlf.csv", tmp_path / "out.csv"
    company = b'"Acme, Inc"' if quoted else b""
    source.write_bytes(b"country,years,company\r\nDE,5,\r\nUS,3,TikTok\r\nXX,4," + company + b"\r\n")
    done = _score(model_dir, source, target)
    assert done.returncode == 3, done.stderr  # XX is one bad row
    text = target.read_bytes()
    assert text.count(b"\r\n") == 4 and text.replace(b"\r\n", b"").count(b"\r") == 0 and b"\n\n" not in text
    table = pd.read_csv(target, keep_default_na=False)
    assert len(table) == 3 and table["median"].iloc[:2].astype(float).gt(0).all()
    assert table["error"].iloc[2] != "" and table["error"].iloc[:2].tolist() == ["", ""]


@pytest.mark.parametrize("quoted", [False, True], ids=["fast path", "quoted path"])
def test_doubled_carriage_returns_end_the_line_and_never_reach_the_output(model_dir, tmp_path, quoted):
    import pandas as pd

    source, target = tmp_path / "crcrlf.csv", tmp_path / "out.csv"
    first = b'"DE"' if quoted else b"DE"
    source.write_bytes(b"country,years\r\r\n" + first + b",5\r\r\nUS,3\r\r\n")
    done = _score(model_dir, source, target)
    assert done.returncode == 0, done.stderr
    text = target.read_bytes()
    assert text.replace(b"\r\n", b"").count(b"\r") == 0  # no bare \r inside a row
    table = pd.read_csv(target, keep_default_na=False)
    assert table["years"].tolist() == [5, 3] and table["median"].astype(float).gt(0).all()


def test_a_carriage_return_inside_an_unquoted_field_is_one_bad_row_written_back_quoted(model_dir, tmp_path):
    import pandas as pd

    source, target = tmp_path / "cr.csv", tmp_path / "out.csv"
    source.write_bytes(b"country,years,company\nDE,5,Foo\rBar\nUS,3,\nIN,4,TCS\n")
    done = _score(model_dir, source, target)
    assert done.returncode == 3 and "line 2: a carriage return inside an unquoted field" in done.stderr
    table = pd.read_csv(target, keep_default_na=False)
    # Three rows of the header's width: the bad one is quoted, so no reader splits it.
    assert len(table) == 3 and table["error"].tolist()[1:] == ["", ""]
    assert "carriage return" in table.at[0, "error"] and table.at[0, "company"] == "Foo\rBar"


def test_bad_rows_are_written_back_with_the_headers_number_of_fields(model_dir, tmp_path):
    import pandas as pd

    source, target = tmp_path / "ragged.csv", tmp_path / "out.csv"
    source.write_bytes(b'country,years,company\nUS,2\nUS,3,Acme, Inc\nDE,5,\n\nUS,4,"Quoted, Co",x\n')
    done = _score(model_dir, source, target)
    assert done.returncode == 3, done.stderr
    table = pd.read_csv(target, keep_default_na=False, dtype=str)  # every line parses with the header's width
    assert len(table) == 5
    bad = table[table["error"] != ""]
    assert len(bad) == 4 and (bad["median"] == "").all()  # a filter on error finds every bad row
    assert table.loc[1, "company"] == "Acme, Inc" and table.loc[0, "years"] == "2"
    assert table.loc[2, "error"] == "" and float(table.loc[2, "median"]) > 0


def test_an_output_keeps_its_permissions_and_a_read_only_one_is_not_replaced(model_dir, profiles, tmp_path):
    private = tmp_path / "private.csv"
    private.write_text("old")
    private.chmod(0o600)
    assert _score(model_dir, profiles, private).returncode == 3  # XX is a bad row
    assert private.stat().st_mode & 0o777 == 0o600 and "median" in private.read_text()
    fresh = tmp_path / "fresh.csv"
    done = subprocess.run(
        [
            "sh",
            "-c",
            f"umask 077 && {sys.executable} -m salarymodel predict --model {model_dir} --input {profiles} --output {fresh}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3 and fresh.stat().st_mode & 0o777 == 0o600
    frozen = tmp_path / "frozen.csv"
    frozen.write_text("keep me")
    frozen.chmod(0o444)
    done = _score(model_dir, profiles, frozen)
    assert done.returncode == 2 and "read-only" in done.stderr and frozen.read_text() == "keep me"


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR only"])
def test_every_line_end_and_ragged_rows_round_trip_through_pandas(model_dir, tmp_path, ending):
    # CR-only files (old Mac exports) are read, their lines as LF and written with LF,
    # every input row present once.
    import pandas as pd

    lines = [b"country,years,company", b"DE,5,", b"US,2", b"US,3,Acme, Inc", b'IN,4,"Quoted, Co"', b"", b"US,7,TikTok"]
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(ending.join(lines) + ending)
    done = _score(model_dir, source, target)
    assert done.returncode == 3 and "Traceback" not in done.stderr, done.stderr
    table = pd.read_csv(target, keep_default_na=False, dtype=str)
    assert table["country"].tolist() == ["DE", "US", "US", "IN", "", "US"]
    assert table.loc[3, "company"] == "Quoted, Co" and table.loc[2, "company"] == "Acme, Inc"
    assert (table["error"] != "").tolist() == [False, True, True, False, True, False]
    assert float(table.loc[5, "median"]) > float(table.loc[0, "median"]) * 0 and float(table.loc[3, "median"]) > 0
    for number, fragment in ((3, "2 fields"), (4, "4 fields"), (6, "blank line")):
        assert f"line {number}: " in done.stderr and fragment in done.stderr
    text = target.read_bytes()
    assert text.replace(b"\r\n", b"").count(b"\r") == 0  # no carriage return left inside a field


def test_a_file_without_line_ends_is_refused_without_reading_it_whole(model_dir, tmp_path):
    target = tmp_path / "out.csv"
    endless = tmp_path / "endless.csv"
    endless.write_bytes(b"country,years," + b"x" * (2 << 20))
    done = _score(model_dir, endless, target)
    assert done.returncode == 2 and "no line end in its first" in done.stderr and not target.exists()


def test_an_unclosed_quote_names_the_lines_it_swallowed(model_dir, tmp_path):
    source, target = tmp_path / "open.csv", tmp_path / "out.csv"
    source.write_bytes(b'country,years,company\nDE,5,\nUS,3,"Acme\n' + b"DE,1,\n" * 20)
    done = _score(model_dir, source, target)
    assert done.returncode == 3, done.stderr
    assert "line 3: " in done.stderr and "lines 3-23" in done.stderr and "never closed" in done.stderr


@pytest.mark.parametrize("target", ["-", "/dev/stdout"])
def test_the_output_can_be_standard_output_into_a_pipe(model_dir, profiles, tmp_path, target):
    # '-' is standard output, not a file named '-'; /dev/stdout links to a pipe with no
    # path, so it is written directly rather than through a temporary sibling.
    import pandas as pd

    done = subprocess.run(
        [sys.executable, "-m", "salarymodel", "predict", "--model", str(model_dir), "--input", str(profiles), "--output", target],
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 3 and b"Traceback" not in done.stderr  # XX is one bad row
    import io

    table = pd.read_csv(io.BytesIO(done.stdout), keep_default_na=False)
    assert table["country"].tolist() == ["DE", "US", "XX"] and float(table["median"][0]) > 0
    assert b"Scored 2 of 3 rows" in done.stderr and not (tmp_path / "-").exists()


def test_both_paths_of_the_reader_find_the_same_problems_in_the_same_words():
    # The Arrow path reads lines without quotes; one quote sends the block through the
    # CSV reader. The same bad lines must come out the same either way (line_problems).
    import io

    import numpy as np

    from salarymodel.serving.csv_rows import open_csv

    body = b"DE,5,\nIN,2,Acme, Inc\nDE,\xff5,\n\nUS,3\nUS,3,TikTok\n"

    def read(first_row: bytes):
        chunks = list(open_csv(io.BytesIO(b"country,years,company\n" + first_row + body), "in").chunks(100))
        problems = np.concatenate([c.problems for c in chunks])[1:]
        raws = [raw for c in chunks for raw in c.raw.to_pylist()][1:]
        return problems.tolist(), raws

    fast, quoted = read(b"DE,1,\n"), read(b'"DE",1,\n')
    assert fast == quoted
    assert fast[0] == [
        "",
        "the line has 4 fields but the header has 3 (an unquoted comma in a value? quote it)",
        "the line is not valid UTF-8 (save the file as UTF-8)",
        "blank line",
        "the line has 2 fields but the header has 3 (an unquoted comma in a value? quote it)",
        "",
    ]
    assert fast[1][1:5] == [b'IN,2,"Acme, Inc"', b"DE,\xff5,", b",,", b"US,3,"]


def test_a_killed_runs_temporary_file_is_removed_by_the_next_run_and_a_live_one_kept(model_dir, profiles, tmp_path):
    import os

    target = tmp_path / "out.csv"
    # What kill -9 leaves: the rows scored so far, under the output's hidden temporary name.
    dead = tmp_path / ".out.csv.999999999.k1ll3d.tmp"  # no process has this id
    live = tmp_path / f".out.csv.{os.getpid()}.running.tmp"  # this test's own process: alive
    other = tmp_path / ".other.csv.999999999.k1ll3d.tmp"  # another output's: not this run's to touch
    for path in (dead, live, other):
        path.write_bytes(b"country,years\n" * 1000)
    done = _score(model_dir, profiles, target)
    assert done.returncode in (0, 3), done.stderr
    assert not dead.exists() and live.exists() and other.exists() and target.exists()


def _peak_megabytes(model_dir, source, target) -> tuple[int, float]:
    """Exit status and peak resident memory (MB) of a batch run in a process of its own."""
    code = (
        "import runpy, sys\n"
        "sys.argv = ['salarymodel', 'predict', '--model', sys.argv[1], '--input', sys.argv[2], '--output', sys.argv[3]]\n"
        "try:\n    runpy.run_module('salarymodel', run_name='__main__')\nexcept SystemExit as stop:\n    status = stop.code\n"
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent (pytest).
        "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print(status, int(peak) / 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(model_dir), str(source), str(target)], capture_output=True, text=True, timeout=300
    )
    status, megabytes = done.stdout.split()[-2:]
    return int(status), float(megabytes)


def test_a_line_past_the_limit_is_one_bad_row_and_the_rows_after_it_are_scored(model_dir, tmp_path):
    from salarymodel.serving.csv_rows import MAX_LINE_BYTES

    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(b"country,years\nDE,5\n" + b"x" * (3 * MAX_LINE_BYTES) + b"\nUS,3\n")
    done = _score(model_dir, source, target)
    assert done.returncode == 3 and "Traceback" not in done.stderr
    import pandas as pd

    out = pd.read_csv(target)
    assert len(out) == 3 and out["median"].notna().tolist() == [True, False, True]
    assert out["error"][1].startswith(f"the line is longer than {MAX_LINE_BYTES:,} bytes")
    # The quoted-field reader (once a quote appears) keeps the same bound and words.
    source.write_bytes(b'country,years\n"DE",5\n' + b"y" * (3 * MAX_LINE_BYTES) + b"\nUS,3\n")
    assert _score(model_dir, source, target).returncode == 3
    out = pd.read_csv(target)
    assert out["median"].notna().tolist() == [True, False, True] and "longer than" in out["error"][1]


@pytest.mark.parametrize("body", ["one 64 MB line", "carriage returns under a line-feed header"])
def test_a_body_without_line_ends_is_read_in_bounded_memory(model_dir, tmp_path, body):
    # A 150 MB line once peaked at 1.4 GB: the reader buffered it whole, then copied it.
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    with open(source, "wb") as stream:
        stream.write(b"country,years\n")
        stream.write(b"x" * (64 << 20) if body == "one 64 MB line" else b"DE,5\r" * 13_000_000)
    status, megabytes = _peak_megabytes(model_dir, source, target)
    assert status == 3 and target.read_text().count("\n") == 2  # the header and one bad row
    assert megabytes < 300, megabytes  # about 130 MB here: the libraries, not the line


def test_the_usage_guide_states_the_line_limit_the_reader_applies():
    from pathlib import Path

    from salarymodel.serving.csv_rows import MAX_LINE_BYTES

    text = " ".join((Path(__file__).resolve().parents[1] / "docs" / "usage.md").read_text(encoding="utf-8").split())
    assert "A line longer than 1 MiB (`MAX_LINE_BYTES`) is one bad row" in text and MAX_LINE_BYTES == 1 << 20
