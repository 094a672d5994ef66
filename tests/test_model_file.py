"""The model file as typed records: every field is read by its declaration.

These read the shipped model's data file (no training), change one field,
and check that the declared rule, not a hand-written check, refuses it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing

import numpy as np
import pytest

from salarymodel.serving.model_io.paths import shipped_model_dir
from salarymodel.serving.model_io.records import (
    FidelityRecord,
    ModelMeta,
    MoneyRecord,
    ServingTables,
    TrainingFacts,
    WageRecord,
    member_names,
    serving_bytes,
)
from salarymodel.serving.model_io.schema import Between, FieldError, Items, Text, conform, declared_types, describe


@pytest.fixture(scope="module")
def shipped():
    """The shipped data file's JSON document and tables."""
    (path,) = shipped_model_dir().glob("salary_model-*.npz")
    with np.load(path, allow_pickle=False) as archive:
        document = json.loads(archive["meta_json"].tobytes())
        arrays = {name: archive[name] for name in archive.files if name != "meta_json"}
        raw = archive["meta_json"].tobytes()
    return document, arrays, raw, path.read_bytes()


def _changed(document: dict, dotted: str, value: object) -> dict:
    copy = json.loads(json.dumps(document))
    *parents, last = dotted.split(".")
    target = copy
    for name in parents:
        target = target[name]
    target[last] = value
    return copy


def test_reading_then_writing_gives_the_same_bytes(shipped):
    document, arrays, raw, data = shipped
    meta = ModelMeta.from_json(document)
    tables = ServingTables.from_arrays(arrays, meta)
    assert meta.json_bytes() == raw
    assert serving_bytes(tables, meta) == data  # the whole data file, byte for byte
    assert set(arrays) | {"meta_json"} == member_names()


def test_fields_are_typed_values_not_dicts(shipped):
    meta = ModelMeta.from_json(shipped[0])
    assert isinstance(meta.money, MoneyRecord) and isinstance(meta.metadata, TrainingFacts)
    assert isinstance(meta.fidelity, FidelityRecord) and all(isinstance(w, WageRecord) for w in meta.money.wages.values())
    assert meta.countries == ("DE", "IN", "US") and meta.cells[0] == ("DE", None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        meta.reference_year = 1999  # type: ignore[misc]


def _wrong_value(hint) -> object:
    """A JSON value the declared type refuses: a type's opposite, by its kind."""
    base = typing.get_args(hint)[0] if typing.get_origin(hint) is typing.Annotated else hint
    return "text" if base in (int, float) or typing.get_origin(base) in (tuple, dict) or dataclasses.is_dataclass(base) else 12


@pytest.mark.parametrize("record", [ModelMeta, MoneyRecord, WageRecord, TrainingFacts, FidelityRecord])
def test_every_declared_field_refuses_a_value_of_the_wrong_kind_by_its_path(shipped, record):
    # Generated from the declarations themselves: a field added later is covered without a new check.
    where = {
        ModelMeta: "",
        MoneyRecord: "money",
        WageRecord: "money.wages.DE",
        TrainingFacts: "metadata",
        FidelityRecord: "fidelity",
    }[record]
    for name, hint in declared_types(record).items():
        if name == "NAME":
            continue
        dotted = f"{where}.{name}" if where else name
        with pytest.raises(FieldError) as caught:
            ModelMeta.from_json(_changed(shipped[0], dotted, _wrong_value(hint)))
        assert caught.value.field == dotted, (dotted, str(caught.value))
        assert str(caught.value).startswith(f"the field '{dotted}' must be {describe(hint)}")


@pytest.mark.parametrize(
    ("dotted", "value", "field"),
    [
        ("countries", ["DE", "DE", "IN", "US"], "countries"),
        ("countries", ["de", "IN", "US"], "countries"),
        ("cells", [["FR", None]], "cells"),
        ("cells", [["DE", None], ["IN", None]], "cells"),  # no market cell for the US
        ("level_edges", [7, 3, 12], "level_edges"),
        ("level_edges", [3, 7, float("nan")], "level_edges"),
        ("reference_year", 10**400, "reference_year"),
        ("reference_year", True, "reference_year"),
        ("money.reference_month", 1.5, "money.reference_month"),
        ("money.wages.DE.months", [2000 * 12, 1999 * 12], "money.wages.DE.months"),
        ("money.wages.DE.series", "x" * 501, "money.wages.DE.series"),
        ("money.wages.XX", {"months": [24270, 24282], "log_levels": [0.0, 0.1], "series": "s", "source": "s"}, "money.wages"),
        ("money.local_currency", {"DE": "EUR", "IN": "INR", "US": "EUR"}, "money"),
        ("reference_per_usd", {"EUR": 0.9}, "reference_per_usd"),
        ("reference_per_usd.EUR", -1.0, "reference_per_usd"),
        ("metadata.seed", -1, "metadata.seed"),
        ("fidelity.columns", ["source"], "fidelity.columns"),
        ("country_labels", {"DE": "Germany"}, "country_labels"),
        ("sources.A0.publisher", 7, "sources.A0"),
    ],
)
def test_a_field_that_breaks_its_rule_is_named(shipped, dotted, value, field):
    with pytest.raises(FieldError) as caught:
        ModelMeta.from_json(_changed(shipped[0], dotted, value))
    assert caught.value.field == field, str(caught.value)


def test_a_missing_or_unexpected_field_is_named(shipped):
    document = dict(shipped[0])
    del document["reference_year"]
    with pytest.raises(FieldError, match="'reference_year' must be a whole number in \\[1990, 2100\\]\\. Got 'nothing"):
        ModelMeta.from_json(document)
    with pytest.raises(
        FieldError,
        match="'meta_json' must be an object with the fields countries, .* and no others\\. Got \"fields \\['note'\\]\" instead",
    ):
        ModelMeta.from_json({**shipped[0], "note": 1})
    with pytest.raises(FieldError, match="'metadata' must be an object with the fields seed, rows"):
        ModelMeta.from_json({**shipped[0], "metadata": {**shipped[0]["metadata"], "x": 1}})


def test_a_format_9_document_without_named_sources_reads_as_none(shipped):
    document = dict(shipped[0])
    del document["sources"]
    assert ModelMeta.from_json(document).sources == {}


@pytest.mark.parametrize(
    ("name", "change", "words"),
    [
        ("support", lambda t: t.astype(np.int32), "a table of shape (9, 1001) holding int8"),
        ("quantiles", lambda t: t[:, :-1], "a table of shape (9, 101, 71) holding float64"),
        ("quantiles", lambda t: t[:, :, ::-1].copy(), "must be rising with the level"),
        ("median", lambda t: t + 30, "values in [0, 25]"),
        ("support", lambda t: np.full_like(t, 4), "support grades from 0 to 3"),
        ("source", lambda t: t + 1000, "indices into source_lists"),
        ("quantiles", lambda t: np.where(t > 11, np.inf, t), "finite numbers (no NaN or infinity)"),
        ("fx_rates", lambda t: -t, "values in (1e-09, 1e+09), or NaN for none"),
    ],
)
def test_a_table_that_breaks_its_declaration_is_named(shipped, name, change, words):
    document, arrays = shipped[0], dict(shipped[1])
    arrays[name] = change(arrays[name])
    with pytest.raises(FieldError) as caught:
        ServingTables.from_arrays(arrays, ModelMeta.from_json(document))
    assert caught.value.field == name and words in str(caught.value)


def test_nan_marks_a_month_without_a_rate_but_not_a_missing_salary(shipped):
    document, arrays = shipped[0], dict(shipped[1])
    meta = ModelMeta.from_json(document)
    assert np.isnan(arrays["fx_rates"]).any()  # the shipped rates have months without a quote
    ServingTables.from_arrays(arrays, meta)
    arrays["median"] = np.where(arrays["median"] > 11, np.nan, arrays["median"])
    with pytest.raises(FieldError, match="'median' must be finite numbers"):
        ServingTables.from_arrays(arrays, meta)


def test_the_rules_are_worded_from_the_declarations():
    assert describe(typing.Annotated[int, Between(1990, 2100)]) == "a whole number in [1990, 2100]"
    assert (
        describe(typing.Annotated[tuple[typing.Annotated[str, Text(limit=3)], ...], Items(at_least=1, distinct=True)])
        == "a list (at least 1, distinct) whose items are each text of 1 to 3 printable characters"
    )
    assert describe(str | None) == "text of 1 to 200 printable characters or null"
    assert conform([1, 2.5], tuple[float, ...], "x") == (1.0, 2.5)
    assert conform({"a": [1]}, dict[str, tuple[int, ...]], "x") == {"a": (1,)}
    with pytest.raises(FieldError, match="'x' must be a number above 0\\. Got 0 instead"):
        conform(0, typing.Annotated[float, Between(0, low_open=True)], "x")
    assert math.isinf(Between().high)


def test_the_documented_refusal_is_the_one_given(shipped):
    from pathlib import Path

    document = _changed(
        shipped[0], "money.wages.DE.log_levels", [float("nan")] * len(shipped[0]["money"]["wages"]["DE"]["months"])
    )
    with pytest.raises(FieldError) as caught:
        ModelMeta.from_json(document)
    quoted = str(caught.value).split(", but")[0]
    docs = " ".join((Path(__file__).parents[1] / "docs" / "model-files.md").read_text().split())
    assert f'("{quoted}")' in docs


def test_an_integer_too_large_for_a_float_is_a_field_error_not_an_overflow():
    with pytest.raises(FieldError, match="'x' must be a number"):
        conform(10**400, float, "x")
    assert conform(3, float, "x") == 3.0 and isinstance(conform(3, float, "x"), float)


def test_a_bad_item_of_a_list_is_named_by_its_position(shipped):
    levels = list(shipped[0]["money"]["wages"]["DE"]["log_levels"])
    levels[3] = float("nan")
    with pytest.raises(
        FieldError,
        match=r"'money\.wages\.DE\.log_levels' must be a list whose items are each a "
        r"finite log level within ±5, but item 3 is nan\.$",
    ):
        ModelMeta.from_json(_changed(shipped[0], "money.wages.DE.log_levels", levels))
    with pytest.raises(FieldError, match=r"'cells' must be .*, but item 1 is \['DE', 7\]\.$"):
        ModelMeta.from_json(_changed(shipped[0], "cells", [["DE", None], ["DE", 7]]))


def test_the_pay_a_model_describes_is_data_its_answers_read(shipped):
    import dataclasses

    from fastapi.testclient import TestClient

    from salarymodel import load_model
    from salarymodel.serving.model import SalaryModel
    from salarymodel.web.app import create_app

    document = dict(shipped[0])
    assert ModelMeta.from_json(document).pay == "base"
    document.pop("pay", None)  # a format-12 document names none: base pay
    assert ModelMeta.from_json(document).pay == "base"
    with pytest.raises(FieldError, match="'pay' must be 'base' or 'total'"):
        ModelMeta.from_json({**shipped[0], "pay": "bonus"})
    served = load_model()
    total = SalaryModel(served.tables, dataclasses.replace(served.meta, pay="total"))
    client = TestClient(create_app(total))
    for path, params in [
        ("/api/v1/estimate", {"country": "DE", "years": 5}),
        ("/api/v1/rank", {"country": "DE", "years": 5, "salary": 70000}),
        ("/api/v1/curve", {"country": "DE"}),
        ("/api/v1/ranges", {"country": "DE"}),
        ("/api/v1/model", {}),
    ]:
        answer = client.get(path, params=params)
        assert answer.status_code == 200 and answer.json()["pay"] == "total", path
