"""The numbers a caller sets are declared once (serving/constraints.py): every surface
refuses a bad one in the words its declaration gives."""

from __future__ import annotations

import math
import re
from statistics import NormalDist

import numpy as np
import pytest

from salarymodel.errors import ParameterError, ParameterTypeError
from salarymodel.serving.constraints import (
    AGING_RATE,
    CONFIDENCE,
    ROWS_PER_COUNTRY,
    SALARY,
    SEED,
    YEARS,
    Interval,
    parameter_message,
)
from salarymodel.train import train


def test_an_interval_holds_its_bounds_as_declared():
    both, neither = Interval("x", 0, 1, "both", "r"), Interval("x", 0, 1, "neither", "r")
    assert both.holds(0) and both.holds(1) and not neither.holds(0) and not neither.holds(1)
    assert not both.holds(math.nan) and neither.holds(0.5)
    assert Interval("x", 0, 1, "left", "r").holds(0) and not Interval("x", 0, 1, "left", "r").holds(1)
    whole = Interval("n", 0, 10, "both", "a whole number", whole=True)
    assert whole.check(np.int64(3)) == 3.0
    for value in (3.0, True, "3", None):
        with pytest.raises(ParameterError, match=r"^The 'n' parameter must be a whole number\. Got "):
            whole.check(value)


def test_a_value_of_no_number_is_a_type_error_where_the_declaration_says_so():
    with pytest.raises(ParameterTypeError, match=r"'years' parameter of predict must be a number\. Got 'five' of type str"):
        YEARS.check("five", "predict")
    with pytest.raises(ParameterError, match=r"'aging_rate' parameter must be an annual rate"):
        AGING_RATE.check("0.04")  # no type rule: refused with its rule
    assert YEARS.check(-0.0) == 0.0 and math.copysign(1.0, YEARS.check(-0.0)) == 1.0


@pytest.mark.parametrize(
    ("constraint", "owner", "call", "bad"),
    [
        (CONFIDENCE, "predict", lambda m, v: m.predict("DE", 5, confidence=v), 1.5),
        (AGING_RATE, None, lambda m, v: m.predict("DE", 5, aging_rate=v), 2.0),
        (YEARS, "predict", lambda m, v: m.predict("DE", v), 51.0),
        (SALARY, "rank", lambda m, v: m.rank("DE", 5, v), 0.5),
    ],
)
def test_the_python_api_refuses_in_the_declared_words(model, constraint, owner, call, bad):
    expected = parameter_message(constraint.name, owner, constraint.rule, repr(bad))
    with pytest.raises(ParameterError) as caught:
        call(model, bad)
    assert str(caught.value) == expected


@pytest.mark.parametrize(("name", "value", "constraint"), [("seed", -1, SEED), ("rows_per_country", 50, ROWS_PER_COUNTRY)])
def test_training_settings_are_refused_before_any_work_in_the_declared_words(name, value, constraint):
    with pytest.raises(ParameterError) as caught:
        train(**{name: value})
    assert str(caught.value) == parameter_message(name, "train", constraint.rule, repr(value))


def test_a_percentile_is_one_declaration_under_each_name_it_is_given_as(model):
    from salarymodel.serving.bands import PERCENTILE, Z_GRID

    # The tables' grid bounds it; renamed for the argument a user typed, in the same words.
    assert PERCENTILE.holds(100 * NormalDist().cdf(Z_GRID[-1])) and not PERCENTILE.holds(100.0)
    assert PERCENTILE.renamed("target").low == PERCENTILE.low and PERCENTILE.renamed("target").name == "target"
    for call, name in (
        (lambda value: model.percentiles("DE", 5, q=(value,)), "'q' parameter of percentiles"),
        (lambda value: model.ranges("DE", target=value), "'target' parameter of ranges"),
        (lambda value: model.ranges("DE", spread=(value, 75)), "'spread' parameter of ranges"),
    ):
        with pytest.raises(ParameterError, match=rf"The {name} must be {re.escape(PERCENTILE.rule)}\. Got 100 instead"):
            call(100)
        with pytest.raises(ParameterTypeError, match=rf"The {name} must be .* Got True of type bool instead"):
            call(True)


def test_parameters_and_model_file_fields_are_refused_in_one_wording_over_one_kind_of_bounds():
    import typing

    from salarymodel.errors import ParameterError
    from salarymodel.serving.constraints import CONFIDENCE, Between, must_be
    from salarymodel.serving.model_io.schema import FieldError, conform

    assert CONFIDENCE.bounds == Between(0.0, 1.0, low_open=True, high_open=True)
    for value in (0.0, 0.5, 1.0, float("nan"), float("inf")):
        assert CONFIDENCE.holds(value) == CONFIDENCE.bounds.holds(value)
    with pytest.raises(ParameterError) as parameter:
        CONFIDENCE.check(1.5, "predict")
    with pytest.raises(FieldError) as field:
        conform(1.5, typing.Annotated[float, CONFIDENCE.bounds], "confidence")
    assert str(parameter.value) == must_be("The 'confidence' parameter of predict", "a float in (0, 1)", "1.5")
    assert str(field.value) == must_be("the field 'confidence'", "a number in (0, 1)", "1.5")
    assert must_be("the field 'x'", "finite", "nan", found="item 2 is nan") == "the field 'x' must be finite, but item 2 is nan."
