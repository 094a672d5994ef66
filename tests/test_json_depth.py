"""Nesting depth read on the bytes of a JSON document, before it is parsed."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from salarymodel.serving.model_io._audit import json_text_depth

# Strings full of what could fool a byte scan: brackets, quotes and backslashes.
_TRICKY = st.text(alphabet='[]{}"\\\\ab,:', max_size=12)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _TRICKY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TRICKY, inner, max_size=4),
    max_leaves=30,
)


def _containers(value) -> int:
    """Nesting of arrays and objects in a parsed value."""
    if isinstance(value, list):
        return 1 + max((_containers(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_containers(v) for v in value.values()), default=0)
    return 0


@given(_VALUES, st.booleans())
def test_text_depth_equals_the_parsed_depth(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only, indent=None if ascii_only else 1).encode("utf-8")
    assert json_text_depth(text) == _containers(value)


def test_brackets_inside_strings_and_escapes_do_not_count():
    assert json_text_depth(b'{"a": "[[[[", "b": ["\\\\", {"c": "\\"]]"}]}') == 3
    assert json_text_depth(b"[" * 100_000 + b"]" * 100_000) == 100_000
    assert json_text_depth(b"") == 0 and json_text_depth(b"17") == 0
