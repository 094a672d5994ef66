"""Declared types for the model file, and the one checker that reads them.

A record of the model file (:mod:`.model_file`) is a frozen dataclass whose
fields say what they hold with ordinary type hints, refined with
``Annotated``:

* :class:`Text` for strings (length, printable, a pattern);
* :class:`Between` for numbers, and for the values of a table;
* :class:`Items` for lists (how many, distinct, rising);
* :class:`Array` for a numpy table (dtype, named dimensions, values).

:func:`conform` turns a parsed JSON value into the declared type (lists into
tuples, objects into records), and :meth:`Array.check` a table, or raises
:class:`FieldError` naming the field, the rule (worded by :func:`describe`
from the same declaration) and the value found. Nothing here reads a file:
the callers bound sizes and depth before parsing.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, TypeVar

import numpy as np

from ..constraints import Between, must_be, shown

__all__ = ["FieldError", "Text", "Between", "Items", "Array", "Record", "conform", "describe", "declared_types", "path", "shown"]


class FieldError(ValueError):
    """A field of the model file breaks its declared rule.

    Attributes
    ----------
    field : str
        Dotted path of the field ('money.wages.DE.log_levels').
    rule : str
        What the field must be, in words.
    value : object
        What it holds (shortened in the message).
    found : str, default=None
        What is wrong with it, when more precise than the value itself
        ('item 3 is nan'); the message says it instead of the value.
    """

    def __init__(self, field: str, rule: str, value: object, found: str | None = None) -> None:
        super().__init__(must_be(f"the field '{field}'", rule, shown(value), found=found))
        self.field, self.rule, self.value = field, rule, value


@dataclass(frozen=True)
class Text:
    """A string of ``1..limit`` characters (``0..limit`` with ``empty``),
    printable unless ``any_character``, matching ``pattern`` when given."""

    limit: int = 200
    pattern: str | None = None
    empty: bool = False
    any_character: bool = False
    rule: str | None = None

    def accepts(self, value: str) -> bool:
        return (
            (self.empty or len(value) > 0)
            and len(value) <= self.limit
            and (self.any_character or value.isprintable())
            and (self.pattern is None or re.fullmatch(self.pattern, value) is not None)
        )

    def words(self) -> str:
        if self.rule:
            return self.rule
        return f"text of {0 if self.empty else 1} to {self.limit} {'' if self.any_character else 'printable '}characters"


@dataclass(frozen=True)
class Items:
    """A list of at least ``at_least`` items, ``distinct`` or strictly ``rising``
    when asked."""

    at_least: int = 0
    distinct: bool = False
    rising: bool = False

    def holds(self, items: tuple[Any, ...]) -> bool:
        if len(items) < self.at_least:
            return False
        if self.distinct and len(set(items)) != len(items):
            return False
        return not self.rising or all(a < b for a, b in zip(items, items[1:]))

    def words(self) -> str:
        parts = [f"at least {self.at_least}"] if self.at_least else []
        parts += ["distinct"] * self.distinct + ["rising"] * self.rising
        return f"a list ({', '.join(parts)})" if parts else "a list"


@dataclass(frozen=True)
class Array:
    """A numpy table: its dtype, its dimensions by name, and its values.

    Parameters
    ----------
    dtype : str
        ``'f8'``, ``'i4'`` or ``'i1'``.
    dims : tuple of str
        Names whose sizes the caller gives (``'cells'``, ``'grid'``); a name
        it does not give may have any size from 1.
    values : Between, default=None
        Bounds every value keeps (finite, for a float table, even without).
    missing : bool, default=False
        NaN means "no value here" and is allowed (a month without a rate).
    """

    dtype: str
    dims: tuple[str, ...]
    values: Between | None = None
    missing: bool = False

    def check(self, table: np.ndarray, field: str, sizes: dict[str, int]) -> np.ndarray:
        """The table if it keeps this declaration, else :class:`FieldError`."""
        shape = tuple(sizes.get(dim) for dim in self.dims)
        wanted = ", ".join(str(sizes.get(dim, dim)) for dim in self.dims)
        if (
            not isinstance(table, np.ndarray)
            or table.dtype != np.dtype(self.dtype)
            or table.ndim != len(shape)
            or any(n is not None and n != size or size < 1 for n, size in zip(shape, table.shape))
        ):
            found = (table.dtype.str, table.shape) if isinstance(table, np.ndarray) else type(table).__name__
            raise FieldError(field, f"a table of shape ({wanted}) holding {np.dtype(self.dtype).name}", found)
        known = table
        if table.dtype.kind == "f":
            if self.missing:
                known = table[~np.isnan(table)]
            elif not np.isfinite(table).all():
                raise FieldError(field, "finite numbers (no NaN or infinity)", "a table holding NaN or infinity")
        if self.values is not None and known.size and not self.values.holds(known):
            words = self.values.rule or f"values {self.values.words()}"
            raise FieldError(
                field,
                words + (", or NaN for none" if self.missing else ""),
                f"values from {np.nanmin(table):.4g} to {np.nanmax(table):.4g}",
            )
        return table


def _parts(hint: Any) -> tuple[Any, tuple[Any, ...]]:
    """A hint without its ``Annotated`` marks, and the marks."""
    if typing.get_origin(hint) is Annotated:
        base, *marks = typing.get_args(hint)
        return base, tuple(marks)
    return hint, ()


def _mark(marks: tuple[Any, ...], kind: type, default: Any = None) -> Any:
    return next((m for m in marks if isinstance(m, kind)), default)


def describe(hint: Any) -> str:
    """The rule a declared type sets, in words (for messages)."""
    base, marks = _parts(hint)
    origin, args = typing.get_origin(base), typing.get_args(base)
    if base is object:
        return "any JSON value"
    if origin in (typing.Union, types.UnionType):
        return " or ".join("null" if a is type(None) else describe(a) for a in args)
    if base is str:
        return str(_mark(marks, Text, Text()).words())
    if base in (int, float):
        bounds = _mark(marks, Between)
        noun = "a whole number" if base is int else "a number"
        if bounds is None:
            return noun
        return bounds.rule or f"{noun} {bounds.words()}"
    if origin is tuple:
        items = _mark(marks, Items, Items()).words()
        if len(args) == 2 and args[1] is Ellipsis:
            return f"{items} whose items are each {describe(args[0])}"
        return f"a list of {len(args)} items: " + ", then ".join(describe(a) for a in args)
    if origin is dict:
        return f"an object of {describe(args[0])} to {describe(args[1])}"
    if dataclasses.is_dataclass(base):
        return f"an object with the fields {', '.join(f.name for f in dataclasses.fields(base))}"
    raise TypeError(f"no rule for the declared type {hint!r}")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def conform(value: object, hint: Any, field: str) -> Any:
    """``value`` (parsed JSON) as the declared type, or :class:`FieldError`.

    Lists become tuples and objects become records. An item of a list that
    breaks its rule is reported at the list's field; a value of an object is
    reported at ``field.key`` when it is a record or an object itself.
    """
    base, marks = _parts(hint)
    origin, args = typing.get_origin(base), typing.get_args(base)
    if base is object:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        others = [a for a in args if a is not type(None)]
        if len(others) != 1 or value is None:
            raise FieldError(field, describe(hint), value)
        return conform(value, others[0], field)
    if base is str:
        if not (isinstance(value, str) and _mark(marks, Text, Text()).accepts(value)):
            raise FieldError(field, describe(hint), value)
        return value
    if base in (int, float):
        if not _is_number(value) or (base is int and not isinstance(value, int)):
            raise FieldError(field, describe(hint), value)
        try:
            number = float(value)  # type: ignore[arg-type]
        except OverflowError:  # an integer of thousands of digits
            raise FieldError(field, describe(hint), value) from None
        bounds = _mark(marks, Between)
        if bounds is not None and not bounds.holds(number):
            raise FieldError(field, describe(hint), value)
        return value if base is int else number
    if origin is tuple:
        return _conform_list(value, hint, base, marks, args, field)
    if origin is dict:
        if not isinstance(value, dict):
            raise FieldError(field, describe(hint), value)
        key_hint, value_hint = args
        nested = typing.get_origin(_parts(value_hint)[0]) is dict or dataclasses.is_dataclass(_parts(value_hint)[0])
        out = {}
        for key, item in value.items():
            key = conform(key, key_hint, field)
            out[key] = conform(item, value_hint, path(field, key) if nested else field)
        return out
    if isinstance(base, type) and issubclass(base, Record):
        return base.from_json(value, field)
    raise TypeError(f"no rule for the declared type {hint!r}")


def _conform_list(
    value: object, hint: Any, base: Any, marks: tuple[Any, ...], args: tuple[Any, ...], field: str
) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise FieldError(field, describe(hint), value)
    variadic = len(args) == 2 and args[1] is Ellipsis
    if not variadic and len(value) != len(args):
        raise FieldError(field, describe(hint), value)
    items = []
    for i, item in enumerate(value):
        try:
            items.append(conform(item, args[0] if variadic else args[i], field))
        except FieldError as error:
            if error.field != field:  # a record inside the list names its own field
                raise
            raise FieldError(field, describe(hint), value, found=f"item {i} is {shown(item, 60)}") from None
    if not _mark(marks, Items, Items()).holds(tuple(items)):
        raise FieldError(field, describe(hint), value)
    return tuple(items)


R = TypeVar("R", bound="Record")


_DECLARED: dict[type, dict[str, Any]] = {}


def declared_types(cls: type) -> dict[str, Any]:
    """A record's field types with their ``Annotated`` marks, resolved once per class."""
    if cls not in _DECLARED:
        _DECLARED[cls] = typing.get_type_hints(cls, include_extras=True)
    return _DECLARED[cls]


def _json(value: object) -> object:
    if isinstance(value, Record):
        return value.to_json()
    if isinstance(value, tuple):
        return [_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    return value


class Record:
    """A frozen dataclass read from and written to JSON by its declared fields.

    Subclasses declare fields with type hints (see the module) and may add
    rules between fields in :meth:`check`.
    """

    NAME: ClassVar[str] = "the document"  # how the record is named when it has no field path

    @classmethod
    def from_json(cls: type[R], value: object, field: str = "") -> R:
        """Conform a parsed JSON object to this record, or raise :class:`FieldError`.

        Every declared field must be there (unless it has a default) and no
        other; each is conformed to its type, then :meth:`check` runs.
        """
        hints = declared_types(cls)
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        if not isinstance(value, dict):
            raise FieldError(field or cls.NAME, describe(cls), type(value).__name__)
        unexpected = sorted(set(value) - {f.name for f in fields})
        if unexpected:
            raise FieldError(field or cls.NAME, f"{describe(cls)} and no others", f"fields {unexpected}")
        given = {}
        for f in fields:
            dotted = path(field, f.name)
            if f.name in value:
                given[f.name] = conform(value[f.name], hints[f.name], dotted)
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise FieldError(dotted, describe(hints[f.name]), "nothing: the field is missing")
        record = cls(**given)
        record.check(field)
        return record

    def to_json(self) -> dict[str, Any]:
        """The record as plain JSON values (tuples as lists), fields in declared order."""
        return {f.name: _json(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def check(self, field: str) -> None:
        """Rules between fields; ``field`` is this record's path (empty at the top)."""


def path(field: str, name: str) -> str:
    """A field's dotted path under its record's."""
    return f"{field}.{name}" if field else name
