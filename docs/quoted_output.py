"""Command output quoted in these docs: find it, check it, write it again.

In a code block, a line ``python -m salarymodel ...`` followed by lines
that begin ``#  `` quotes what that command prints with the shipped model.
``python docs/quoted_output.py`` runs every such command and writes its
output back into the doc (after a change that moves the model);
``tests/test_docs_output.py`` fails while a quote differs from the output.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
from pathlib import Path

DOCS = Path(__file__).parent
QUOTE = "#  "


def quotes(folder: Path = DOCS) -> list[tuple[Path, int, str, list[str]]]:
    """Each quote: its file, the command's line index, the command and the quoted lines."""
    found = []
    for path in sorted(folder.glob("*.md")):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if not line.startswith("python -m salarymodel ") or i + 1 >= len(lines) or not lines[i + 1].startswith(QUOTE):
                continue
            output = []
            for quoted in lines[i + 1 :]:
                if not quoted.startswith(QUOTE):
                    break
                output.append(quoted[len(QUOTE) :])
            found.append((path, i, line, output))
    return found


def printed(command: str) -> list[str]:
    """What ``command`` prints with the shipped model (run in this process, from this folder)."""
    from salarymodel import api
    from salarymodel.cli.console import main
    from salarymodel.serving.model_io.paths import MODEL_DIR_ENV

    os.environ.pop(MODEL_DIR_ENV, None)
    api._default_model = None
    words = shlex.split(re.sub(r"\s+#.*$", "", command))[3:]  # after 'python -m salarymodel'
    out = io.StringIO()
    here = Path.cwd()
    os.chdir(DOCS)  # no ./models here: the shipped model answers, as for a new user
    try:
        with contextlib.redirect_stdout(out):
            code = main(words)
    finally:
        os.chdir(here)
    if code != 0:
        raise RuntimeError(f"{command!r} exited with {code}")
    return out.getvalue().splitlines()


def write() -> None:
    """Replace every quote with what its command prints today."""
    for path, i, command, output in reversed(quotes()):
        lines = path.read_text().splitlines()
        lines[i + 1 : i + 1 + len(output)] = [QUOTE + line for line in printed(command)]
        path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    write()
