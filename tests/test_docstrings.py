"""The examples in the docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "salarymodel.data.names",
    "salarymodel.data.listing",
    "salarymodel.serving.model",
    "salarymodel.api",
    "salarymodel.data.training_data",
    "salarymodel.data.amounts",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
