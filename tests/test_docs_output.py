"""Command output quoted in the docs is what the command prints today.

A line ``python -m salarymodel ...`` in a docs code block followed by lines
that begin ``#  `` quotes that command's output (the shipped model's); each
such quote is run and compared, so a changed model fails here until the doc
is written again from the command.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from salarymodel.cli.console import main

DOCS = Path(__file__).parent.parent / "docs"


def _quotes() -> list[tuple[str, str, list[str]]]:
    found = []
    for path in sorted(DOCS.glob("*.md")):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if not line.startswith("python -m salarymodel ") or i + 1 >= len(lines) or not lines[i + 1].startswith("#  "):
                continue
            output = []
            for quoted in lines[i + 1 :]:
                if not quoted.startswith("#  "):
                    break
                output.append(quoted[3:])
            found.append((f"{path.name}:{i + 1}", line, output))
    return found


QUOTES = _quotes()


def test_the_docs_quote_some_output():
    assert QUOTES, "no quoted command output found in docs/"


@pytest.mark.parametrize(("where", "command", "output"), QUOTES, ids=[q[0] for q in QUOTES])
def test_quoted_output_is_what_the_command_prints(where, command, output, monkeypatch):
    from salarymodel import api
    from salarymodel.serving.paths import MODEL_DIR_ENV

    monkeypatch.delenv(MODEL_DIR_ENV, raising=False)
    monkeypatch.setattr(api, "_default_model", None)
    monkeypatch.chdir(DOCS)  # no ./models here: the shipped model answers, as for a new user
    words = shlex.split(re.sub(r"\s+#.*$", "", command))[3:]  # after 'python -m salarymodel'
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(words) == 0, where
    assert printed.getvalue().splitlines() == output, where
