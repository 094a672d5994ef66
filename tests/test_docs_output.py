"""Command output quoted in the docs is what the command prints today
(``python docs/quoted_output.py`` writes it again after a change that moves the model)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location("quoted_output", Path(__file__).parent.parent / "docs" / "quoted_output.py")
quoted_output = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(quoted_output)
QUOTES = quoted_output.quotes()


def test_the_docs_quote_some_output():
    assert QUOTES, "no quoted command output found in docs/"


@pytest.mark.parametrize(("path", "line", "command", "output"), QUOTES, ids=[f"{q[0].name}:{q[1] + 1}" for q in QUOTES])
def test_quoted_output_is_what_the_command_prints(path, line, command, output, monkeypatch):
    from salarymodel import api
    from salarymodel.serving.model_io.paths import MODEL_DIR_ENV

    monkeypatch.delenv(MODEL_DIR_ENV, raising=False)
    monkeypatch.setattr(api, "_default_model", None)
    assert quoted_output.printed(command) == output, f"{path.name}:{line + 1}: run python docs/quoted_output.py"
