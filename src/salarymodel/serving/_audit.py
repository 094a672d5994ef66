"""Auditing a model folder before anything in it is trusted or allocated.

Loading a model reads files a user was handed; any of them may be hostile.
Everything here checks *before* it reads or allocates:

* only regular files are opened (a FIFO, a device or a link to one is
  refused at once; a FIFO is opened non-blocking, so it never hangs);
* sizes are bounded and compared with the card before a byte is read;
* JSON is size-bounded and depth-bounded;
* the data file's zip members are named, stored uncompressed (no zip bomb)
  and each array header's shape and dtype is checked against its member's
  size before numpy reads it;
* the serving tables and the JSON document are checked field by field.

Every failure is a :class:`~salarymodel.errors.ModelIntegrityError` that
names the file and the field.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import stat
import tokenize
import zipfile
from pathlib import Path

import numpy as np

from ..errors import ModelIntegrityError

__all__ = ["MAX_CARD_BYTES", "MAX_DATA_BYTES", "read_regular", "load_json", "audit_archive", "check_meta",
           "check_tables"]

MAX_CARD_BYTES = 16 * 1024 * 1024
MAX_DATA_BYTES = 256 * 1024 * 1024
MAX_JSON_DEPTH = 64
_MEMBER = re.compile(r"^[A-Za-z0-9_]{1,64}\.npy$")
_DTYPES = {"f8", "i1", "i4", "u1"}


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a regular file"


def read_regular(path: Path, limit: int, *, what: str, expected_size: int | None = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (and exactly
    ``expected_size`` when given), checked before reading."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise ModelIntegrityError(f"Cannot open the {what} {path}: {error.strerror}.") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ModelIntegrityError(f"The {what} {path} is {_kind(info.st_mode)}, not a regular file: refused "
                                      "unread. Point at a model folder written by 'python -m salarymodel.train'.")
        if info.st_size > limit:
            raise ModelIntegrityError(f"The {what} {path} holds {info.st_size:,} bytes, more than the {limit:,} a "
                                      "salarymodel file may: refused unread.")
        if expected_size is not None and info.st_size != expected_size:
            raise ModelIntegrityError(f"The {what} {path} does not match its model card ({info.st_size:,} bytes; the "
                                      f"card says {expected_size:,}): it was changed or damaged after training, so "
                                      "it is not opened. Retrain, or get the model folder again from a trusted place.")
        chunks, remaining = [], info.st_size
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def json_text_depth(data: bytes) -> int:
    """Deepest nesting of arrays and objects in JSON text, read on the bytes
    before parsing: a few numpy passes, no Python work per value (a survey's
    model holds millions of them). Brackets inside strings do not count; a
    quote after an odd run of backslashes is inside its string."""
    raw = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(raw == 0x22)
    backslashes = np.flatnonzero(raw == 0x5C)
    string_edges = quotes
    if backslashes.size:  # runs of backslashes: where each ends and how long it is
        breaks = np.flatnonzero(np.diff(backslashes) != 1)
        run_ends = backslashes[np.r_[breaks, backslashes.size - 1]]
        run_lengths = run_ends - backslashes[np.r_[0, breaks + 1]] + 1
        k = np.minimum(np.searchsorted(run_ends, quotes - 1), run_ends.size - 1)
        escaped = (run_ends[k] == quotes - 1) & (run_lengths[k] % 2 == 1)
        string_edges = quotes[~escaped]
    opening = (raw == 0x5B) | (raw == 0x7B)
    brackets = np.flatnonzero(opening | (raw == 0x5D) | (raw == 0x7D))
    outside = np.searchsorted(string_edges, brackets) % 2 == 0
    return int(np.cumsum(np.where(opening[brackets[outside]], 1, -1)).max(initial=0))


def load_json(data: bytes, *, what: str, path: Path) -> object:
    """Parse size-bounded JSON, refusing deep nesting and bad encodings by name."""
    if json_text_depth(data) > MAX_JSON_DEPTH:
        raise ModelIntegrityError(f"The {what} {path} nests deeper than {MAX_JSON_DEPTH} levels: refused.")
    try:
        value = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ModelIntegrityError(f"The {what} {path} nests deeper than {MAX_JSON_DEPTH} levels: refused.") from None
    except (UnicodeDecodeError, ValueError) as error:  # ValueError: also an integer of thousands of digits
        raise ModelIntegrityError(f"The {what} {path} is not valid JSON ({str(error)[:200]}). Retrain, or get the "
                                  "model folder again from a trusted place.") from None
    return value


def audit_archive(data: bytes, path: Path, expected: set[str]) -> dict[str, np.ndarray]:
    """Arrays of a data file, after checking every member before it is read.

    Parameters
    ----------
    data : bytes
        The file (already size-checked and hash-checked).
    path : Path
        For messages.
    expected : set of str
        Member names (without ``.npy``) the file must hold, no more, no fewer.
    """
    def refuse(detail: str) -> ModelIntegrityError:
        return ModelIntegrityError(f"{path} is not a salarymodel data file: {detail}. It is refused unread; "
                                   "retrain with 'python -m salarymodel.train --out DIR'.")

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise refuse(f"not a zip archive ({error})") from None
    names = [info.filename for info in infos]
    bad = [n for n in names if not _MEMBER.match(n)]
    if bad:
        raise refuse(f"member name {bad[0]!r} is not an array name")
    found = {n[:-4] for n in names}
    if len(found) != len(names) or found != expected:
        missing, extra = sorted(expected - found), sorted(found - expected)
        raise refuse(f"members differ from a model's (missing {missing}, unexpected {extra})")
    tables: dict[str, np.ndarray] = {}
    for info in infos:
        name = info.filename[:-4]
        if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
            raise refuse(f"member {name!r} is compressed (a model's arrays are stored as they are)")
        if info.file_size > len(data):
            raise refuse(f"member {name!r} claims {info.file_size:,} bytes, more than the file holds")
        with archive.open(info) as stream:
            try:
                version = np.lib.format.read_magic(stream)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
                elif version == (2, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
                else:
                    raise ValueError(f"npy format {version}")
            except (ValueError, SyntaxError, TypeError, MemoryError, tokenize.TokenError) as error:
                raise refuse(f"member {name!r} has no valid array header ({type(error).__name__}: "
                             f"{str(error)[:120]})") from None
            header = stream.tell() if hasattr(stream, "tell") else None
            if dtype.hasobject or dtype.str[1:] not in _DTYPES or fortran:
                raise refuse(f"member {name!r} has dtype {dtype.str!r}; a model holds only plain numbers")
            count = math.prod(shape)
            size = info.file_size - (header if header is not None else 0)
            if count * dtype.itemsize != size:
                raise refuse(f"member {name!r} declares shape {tuple(shape)} ({count * dtype.itemsize:,} bytes) "
                             f"but holds {size:,}")
            tables[name] = np.frombuffer(stream.read(size), dtype=dtype).reshape(shape).copy()
    return tables


def _field(path: Path, field: str, rule: str, value: object) -> ModelIntegrityError:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return ModelIntegrityError(f"{path}: the field '{field}' must be {rule}; got {shown}. The file is refused; "
                               "retrain with 'python -m salarymodel.train --out DIR'.")


def _is_text(value: object, limit: int = 200) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit and value.isprintable()


def check_meta(meta: object, path: Path) -> dict:
    """The data file's JSON document, field by field (shape and types)."""
    if not isinstance(meta, dict):
        raise _field(path, "meta_json", "an object", type(meta).__name__)
    countries = meta.get("countries")
    if not (isinstance(countries, list) and countries and all(
            isinstance(c, str) and re.fullmatch(r"[A-Z]{2}", c) for c in countries) and len(set(countries)) ==
            len(countries)):
        raise _field(path, "countries", "a non-empty list of distinct ISO alpha-2 codes", countries)
    cells = meta.get("cells")
    if not (isinstance(cells, list) and cells and all(
            isinstance(c, list) and len(c) == 2 and c[0] in countries and (c[1] is None or _is_text(c[1]))
            for c in cells)):
        raise _field(path, "cells", "a list of [country, employer or null] pairs of known countries", cells)
    if any([c, None] not in cells for c in countries):
        raise _field(path, "cells", "a market cell [country, null] for every country", cells)
    for name in ("local_currency", "company_aliases", "country_names", "country_labels"):
        value = meta.get(name)
        if not (isinstance(value, dict) and all(_is_text(k) and _is_text(v) for k, v in value.items())):
            raise _field(path, name, "an object of text to text", value)
    if set(meta["local_currency"]) != set(countries):
        raise _field(path, "local_currency", "a currency for every country", meta["local_currency"])
    edges = meta.get("level_edges")
    if not (isinstance(edges, list) and len(edges) == 3 and all(
            isinstance(e, (int, float)) and not isinstance(e, bool) and math.isfinite(e) for e in edges)
            and edges == sorted(edges)):
        raise _field(path, "level_edges", "three rising finite numbers", edges)
    year = meta.get("reference_year")
    if not (isinstance(year, int) and not isinstance(year, bool) and 1990 <= year <= 2100):
        raise _field(path, "reference_year", "a year between 1990 and 2100", year)
    rates = meta.get("reference_per_usd")
    if not (isinstance(rates, dict) and all(_is_text(k) and isinstance(v, (int, float)) and not isinstance(v, bool)
                                            and math.isfinite(v) and v > 0 for k, v in rates.items())):
        raise _field(path, "reference_per_usd", "an object of currency to a positive rate", rates)
    sources = meta.get("source_lists")
    if not (isinstance(sources, list) and all(isinstance(s, list) and all(_is_text(i) for i in s) for s in sources)):
        raise _field(path, "source_lists", "a list of lists of figure ids", sources)
    named = meta.get("sources", {})  # a format-9 file names no publishers
    if not (isinstance(named, dict) and all(_is_text(k) and isinstance(v, dict) and all(
            _is_text(f) and isinstance(t, str) and len(t) <= 1000 for f, t in v.items()) for k, v in named.items())):
        raise _field(path, "sources", "an object of source id to an object of text fields", named)
    for name in ("money", "metadata", "fidelity"):
        if not isinstance(meta.get(name), dict):
            raise _field(path, name, "an object", meta.get(name))
    fidelity = meta["fidelity"]
    columns, records = fidelity.get("columns"), fidelity.get("records")
    if not (isinstance(columns, list) and all(_is_text(c) for c in columns) and "id" in columns
            and isinstance(records, list) and all(isinstance(r, list) and len(r) == len(columns) for r in records)):
        raise _field(path, "fidelity", "an object with text 'columns' (one of them 'id') and 'records', lists "
                     "as long as 'columns'", fidelity)
    ids = [record[columns.index("id")] for record in records]
    if not all(_is_text(i) for i in ids):
        raise _field(path, "fidelity.records", "records whose 'id' is a figure id", ids)
    _check_money(meta["money"], meta, path)
    return meta


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _finite(value: object, bound: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and \
        abs(value) <= bound


def _check_money(money: dict, meta: dict, path: Path) -> None:
    """The money block's months, wage indices and currencies: typed and in range,
    so no estimate can come out NaN, infinite or overflow."""
    months = (1950 * 12, 2100 * 12)  # months since year 0, as the model counts them
    for name in ("reference_month", "first_month", "fx_first_month"):
        if not _whole(money.get(name), *months):
            raise _field(path, f"money.{name}", "a month between 1950 and 2100 (counted from year 0)",
                         money.get(name))
    currencies = money.get("fx_currencies")
    if not (isinstance(currencies, list) and all(_is_text(c, 3) for c in currencies)):
        raise _field(path, "money.fx_currencies", "a list of ISO 4217 codes", currencies)
    wages = money.get("wages")
    if not (isinstance(wages, dict) and set(wages) <= set(meta["countries"])):
        raise _field(path, "money.wages", "an object of the model's countries to wage indices", wages)
    for country, index in wages.items():
        field = f"money.wages.{country}"
        if not (isinstance(index, dict) and isinstance(index.get("months"), list)
                and isinstance(index.get("log_levels"), list) and _is_text(index.get("series", "x"), 500)
                and _is_text(index.get("source", "x"), 500)):
            raise _field(path, field, "an object with 'months' and 'log_levels' lists", index)
        stamps, levels = index["months"], index["log_levels"]
        if not (stamps and len(stamps) == len(levels) and all(_whole(m, *months) for m in stamps)
                and stamps == sorted(set(stamps))):
            raise _field(path, f"{field}.months", "rising months between 1950 and 2100, one per level", stamps)
        if not all(_finite(level, 5.0) for level in levels):  # a wage index within x/÷ e^5 of its start
            raise _field(path, f"{field}.log_levels", "finite log levels within ±5", levels)


def check_tables(tables: dict[str, np.ndarray], meta: dict, path: Path, *, float_tables: tuple[str, ...],
                 grid_size: int, shapes_shape: tuple[int, int]) -> None:
    """Shapes, dtypes and values of the serving tables against the JSON document."""
    cells, countries = len(meta["cells"]), len(meta["countries"])
    for name in float_tables:
        table = tables[name]
        if table.dtype != np.float64 or table.shape != (cells, grid_size):
            raise _field(path, name, f"a float64 table of shape ({cells}, {grid_size})", (table.dtype.str, table.shape))
        if not np.isfinite(table).all():
            raise _field(path, name, "finite numbers (no NaN or infinity)", "a table holding NaN or infinity")
    if (tables["scale"] <= 0).any() or (tables["scale_high"] <= 0).any() or (tables["ratio_low"] < 0).any() or \
            (tables["ratio_high"] < 0).any():
        raise _field(path, "scale", "positive (and the ratios non-negative)", "a table with negative values")
    # Log pay in reference USD: salaries between e^0 and e^25 (about 7e10) USD; spreads that
    # keep every served quantile finite.
    for name, low, high in (("centre", 0, 25), ("median", 0, 25), ("median_low", 0, 25), ("median_high", 0, 25),
                            ("scale", 0, 5), ("scale_high", 0, 5), ("ratio_low", 0, 20), ("ratio_high", 0, 20)):
        if name in tables and not ((tables[name] >= low) & (tables[name] <= high)).all():
            raise _field(path, name, f"values in [{low}, {high}]", f"values from {tables[name].min():.4g} to "
                                                                  f"{tables[name].max():.4g}")
    shapes = tables["shapes"]
    if shapes.dtype != np.float64 or shapes.shape != (countries, *shapes_shape) or not np.isfinite(shapes).all():
        raise _field(path, "shapes", f"finite float64 of shape ({countries}, {shapes_shape[0]}, {shapes_shape[1]})",
                     (shapes.dtype.str, shapes.shape))
    support, source = tables["support"], tables["source"]
    if support.shape != (cells, grid_size) or support.dtype != np.int8 or support.min() < 0 or support.max() > 3:
        raise _field(path, "support", f"int8 grades 0-3 of shape ({cells}, {grid_size})", (support.dtype.str,
                                                                                             support.shape))
    if (source.shape != (cells, grid_size) or source.dtype != np.int32 or source.min() < 0
            or source.max() >= len(meta["source_lists"])):
        raise _field(path, "source", "int32 indices into source_lists", (source.dtype.str, source.shape))
    fx = tables["fx_rates"]
    if fx.ndim != 2 or fx.dtype != np.float64 or fx.shape[0] != len(meta["money"]["fx_currencies"]):
        raise _field(path, "fx_rates", "a float64 table (currencies, months), a row per money.fx_currencies",
                     (fx.dtype.str, fx.shape))
    known = fx[~np.isnan(fx)]  # NaN: no rate that month
    if not (np.isfinite(known) & (known > 1e-9) & (known < 1e9)).all():
        raise _field(path, "fx_rates", "rates per USD in (1e-9, 1e9), or NaN for a month without one",
                     "a table holding zero, a negative, an infinite or an absurd rate")
