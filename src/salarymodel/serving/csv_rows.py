"""Reading a CSV of profiles (country, years[, company, years_max, salary]) into
chunks of rows: the one reader behind the command-line batch and the HTTP
API's CSV body, so both see the same rows, line numbers and errors.

Streamed in blocks of at most :data:`BLOCK_BYTES`, so memory does not grow
with the input; a line longer than :data:`MAX_LINE_BYTES` is one bad row,
skipped to its end without being kept. Each row keeps its input text byte for byte (``007`` stays
``007``). A line that cannot be read (invalid UTF-8, more or fewer fields
than the header, a blank line) is one bad row with its true line number and
its reason; its text is rewritten as exactly the header's number of fields,
so an output that appends columns stays a table. Line ends are the input's:
LF, CRLF (the ``\\r`` never stays inside a field), or carriage returns alone
(an old Mac export), read as LF. Lines without a quote are split by Arrow;
once a quote appears the rest goes through Python's CSV reader (quoted fields
may hold commas and line breaks), keeping each record's first line number.
Both paths judge a line by one rule (:func:`line_problems`) and write a bad
one back the same way, so a quote elsewhere in a file changes nothing but
the speed.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..data.levels import MAX_YEARS

__all__ = [
    "BLOCK_BYTES",
    "MAX_HEADER_BYTES",
    "MAX_LINE_BYTES",
    "ROW_COLUMNS",
    "RowChunk",
    "CsvInput",
    "open_csv",
    "chunk_frame",
    "score_chunk",
    "line_problems",
]

# Bytes read at a time: memory stays bounded by this, whatever the input's size.
BLOCK_BYTES = 2 * 1024 * 1024
# The header line is read at most this long.
MAX_HEADER_BYTES = 1 << 20
# A longer line is one bad row (a profile is a few dozen bytes; a line this long is
# a file of another kind, or one whose line ends the reader does not see).
MAX_LINE_BYTES = 1 << 20
# The columns a row is scored from; any other column is carried through untouched.
ROW_COLUMNS = ("country", "years", "company", "years_max", "salary")
_BOM = codecs.BOM_UTF8
_LF, _CR = b"\n", b"\r"


@dataclass(frozen=True)
class RowChunk:
    """Consecutive rows of the input.

    Attributes
    ----------
    raw : pyarrow.BinaryArray
        Each row's input text without its line end (a bad row's rewritten
        as exactly the header's number of fields).
    fields : dict
        ``ROW_COLUMNS`` present in the header -> the rows' values (text,
        floats for clean years, a categorical for names); empty for bad rows.
    problems : ndarray of str
        Why a row could not be read ('' for a readable row).
    lines : ndarray of int
        Each row's first line number in the input (the header is line 1).
    """

    raw: object
    fields: dict
    problems: np.ndarray
    lines: np.ndarray


class _LoneReturnsAsNewlines(io.RawIOBase):
    """A binary stream whose carriage returns are read as line feeds (for a file
    whose lines end with ``\\r`` alone), block by block, never buffered whole."""

    def __init__(self, head: bytes, stream) -> None:
        self._head, self._stream = head, stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            data, self._head = self._head[: len(buffer)], self._head[len(buffer) :]
        else:
            data = self._stream.read(len(buffer))
        data = data.replace(_CR, _LF)
        buffer[: len(data)] = data
        return len(data)


class CsvInput:
    """An opened CSV: its header's column names, line end, and its rows in chunks.

    Made by :func:`open_csv`, which checks the header before anything else
    is read.
    """

    def __init__(self, names: list[str], header_text: bytes, ending: bytes, body) -> None:
        self.names = names
        self.header_text = header_text  # the header line as read, without its line end
        self.ending = ending  # LF or CRLF: what an output written beside it should end its lines with
        self._body = body

    def chunks(self, chunk_size: int) -> Iterator[RowChunk]:
        """The rows, at most ``chunk_size`` at a time."""
        index = {name: self.names.index(name) for name in ROW_COLUMNS if name in self.names}
        yield from _stream_body(self._body, index, len(self.names), chunk_size)


# What is wrong with a line, in the same words and by the same rule (line_problems)
# whichever path found it (the Arrow fast path or the quoted-field fallback).
NOT_UTF8 = "the line is not valid UTF-8 (save the file as UTF-8)"
BLANK_LINE = "blank line"
INNER_RETURN = "a carriage return inside an unquoted field (other programs read it as a line break): quote the field"
TOO_LONG = (
    f"the line is longer than {MAX_LINE_BYTES:,} bytes and was skipped (are its line ends carriage returns "
    "alone under a header that ends with a line feed? save the file with one kind of line end)"
)


def wrong_width(fields: int, width: int) -> str:
    """The problem of a line with ``fields`` fields under a header of ``width``."""
    return f"the line has {fields} fields but the header has {width} (an unquoted comma in a value? quote it)"


def line_problems(
    readable: np.ndarray,
    blank: np.ndarray,
    widths: np.ndarray,
    width: int,
    unreadable: np.ndarray | None = None,
    inner_return: np.ndarray | None = None,
) -> np.ndarray:
    """What is wrong with each line, by the one rule both paths follow.

    In order of precedence: not UTF-8 (``~readable``); then, on the quoted
    path only, a record the CSV reader could not read (``unreadable``: its
    words, '' where none); then a blank line; then a carriage return inside
    an unquoted field (``inner_return``: another program reads it as a line
    break, so the row is written back quoted); then a number of fields
    (``widths``) other than the header's ``width``. '' marks a clean row.
    """
    problems = np.full(len(readable), "", dtype=object)
    for position in np.flatnonzero(widths != width):  # least urgent first: later rules overwrite
        problems[position] = wrong_width(int(widths[position]), width)
    if inner_return is not None:
        problems[inner_return] = INNER_RETURN
    problems[blank] = BLANK_LINE
    if unreadable is not None:
        said = unreadable != ""
        problems[said] = unreadable[said]
    problems[~readable] = NOT_UTF8
    return problems


def open_csv(stream, label: str, *, max_columns: int | None = None) -> CsvInput:
    """Read and check the header of a binary ``stream``.

    Parameters
    ----------
    stream : binary file object
        Positioned at the start of the CSV.
    label : str
        How messages name the input (a path, or "The CSV body").
    max_columns : int, default=None
        Refuse a header with more columns than this.

    Returns
    -------
    CsvInput

    Raises
    ------
    ValueError
        An empty input, a header without country and years, with a column
        twice, too many columns, longer than :data:`MAX_HEADER_BYTES` or not
        UTF-8.
    """
    first = stream.readline(MAX_HEADER_BYTES)  # bounded: an input without line ends is not buffered whole
    if not first.endswith(_LF) and _CR in first.rstrip(_CR):
        # Lines end with a carriage return alone: the header is up to the first one.
        cut = first.index(_CR) + 1
        header_raw, body = first[:cut], io.BufferedReader(_LoneReturnsAsNewlines(first[cut:], stream), buffer_size=BLOCK_BYTES)
        ending = _LF
    else:
        header_raw, body = first, stream
        ending = b"\r\n" if first.endswith(b"\r\n") else _LF
    if len(first) == MAX_HEADER_BYTES and not (first.endswith(_LF) or header_raw is not first):
        raise ValueError(
            f"{label} has no line end in its first {MAX_HEADER_BYTES:,} bytes: a header is one line "
            "naming the columns (country, years, ...)."
        )
    if not header_raw.strip():
        raise ValueError(f"{label} is empty: it needs a header line with columns country and years.")
    names = _header(header_raw, label)
    if max_columns is not None and len(names) > max_columns:
        raise ValueError(
            f"{label} has {len(names):,} columns in its header; at most {max_columns} are read "
            "(country, years, company, years_max and your own)."
        )
    return CsvInput(names, header_raw.rstrip(b"\r\n"), ending, body)


def _header(raw: bytes, label: str) -> list[str]:
    """Column names of the header line: a UTF-8 BOM is dropped, duplicates refused by name."""
    text = raw[len(_BOM) :] if raw.startswith(_BOM) else raw
    try:
        line = text.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise ValueError(f"The header line of {label} is not valid UTF-8. Save the file as UTF-8.") from None
    names = next(csv.reader([line])) if line else []
    missing = [c for c in ("country", "years") if c not in names]
    if missing:
        raise ValueError(
            f"{label} needs columns country and years (and optionally company); missing {missing}. "
            f"Its header is {names[:20]}{' ...' if len(names) > 20 else ''}."
        )
    seen, duplicates = set(), []
    for name in names:
        if name in seen and name not in duplicates:
            duplicates.append(name)
        seen.add(name)
    if duplicates:
        raise ValueError(
            f"{label} has the column(s) {duplicates[:10]} more than once in its header: say which one "
            "to use by renaming the others."
        )
    return names


def chunk_frame(chunk: RowChunk) -> pd.DataFrame:
    """The frame :meth:`SalaryModel.predict_frame` scores for a chunk."""
    country = chunk.fields["country"]
    if not isinstance(country, pd.Categorical):
        country = pd.Series(country, dtype=object).replace("", None)
    frame = pd.DataFrame({"country": country, "years": chunk.fields["years"]})
    for optional in ("company", "years_max", "salary"):
        if optional in chunk.fields:
            frame[optional] = chunk.fields[optional]
    return frame


def score_chunk(predict_frame: Callable[..., pd.DataFrame], chunk: RowChunk, **options: Any) -> pd.DataFrame:
    """A model's ``predict_frame`` on a chunk (``errors="coerce"``), its unreadable
    rows empty but for ``error``, which says why."""
    scored = predict_frame(chunk_frame(chunk), errors="coerce", **options)
    structural = chunk.problems != ""
    if structural.any():
        numeric = [
            c
            for c in scored.columns
            if c in ("low", "median", "high", "percentile", "compa_ratio") or (c[:1] == "p" and c[1:2].isdigit())
        ]
        scored.loc[structural, numeric] = np.nan
        for column in ("currency", "support", "as_of"):
            codes = scored[column].cat.codes.to_numpy().copy()
            codes[structural] = -1
            scored[column] = pd.Categorical.from_codes(codes, categories=scored[column].cat.categories)
        scored["error"] = np.where(structural, chunk.problems, scored["error"].to_numpy())
    return scored


def _raw_fields(raw: bytes) -> list[bytes] | None:
    """A line's fields as the bytes it holds, whatever their encoding: Latin-1 maps
    each byte to one character and back, and the CSV syntax is ASCII. None when
    the line cannot be read as CSV at all."""
    if b'"' not in raw:  # unquoted: the commas are the fields' bounds, whatever else the line holds
        return raw.split(b",")
    try:
        record = next(csv.reader(io.StringIO(raw.decode("latin-1"), newline="")), [])
    except csv.Error:
        return None
    return [field.encode("latin-1") for field in record]


def _fit_width(fields: list[bytes] | None, width: int) -> bytes:
    """A bad row's input as exactly ``width`` CSV fields, so the output stays a table:
    missing fields are empty, the extra ones join the last field (quoted), and a
    line that could not be read at all becomes empty fields."""
    if not fields:
        return b"," * (width - 1)
    if len(fields) < width:
        fields = fields + [b""] * (width - len(fields))
    elif len(fields) > width:
        fields = fields[: width - 1] + [b",".join(fields[width - 1 :])]
    return b",".join(
        b'"' + f.replace(b'"', b'""') + b'"' if (b"," in f or b'"' in f or b"\n" in f or b"\r" in f) else f for f in fields
    )


def _split_lines(data: bytes):
    """The lines of ``data`` (which ends with a newline) as a binary array
    without their ``\\n``, zero-copy."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1
    offsets = np.concatenate([[0], ends]).astype(np.int32)
    with_newline = pa.BinaryArray.from_buffers(pa.binary(), len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    return pc.binary_slice(with_newline, 0, -1)


def _stream_body(stream, index: dict[str, int], width: int, chunk_size: int) -> Iterator[RowChunk]:
    """Blocks of whole lines through the fast path until a quote appears, then
    the rest through the CSV reader."""
    line = 2
    rest = b""
    while True:
        block = stream.read(BLOCK_BYTES)
        data = rest + block
        if not block:
            if data and not data.endswith(_LF):
                data += _LF  # a last line without its newline
            rest = b""
        else:
            cut = data.rfind(_LF) + 1
            data, rest = data[:cut], data[cut:]
        if data:
            if b'"' in data:
                yield from _quoted_rows(io.BytesIO(data + rest), stream, index, width, chunk_size, line)
                return
            for chunk in _fast_rows(data, index, width, chunk_size, line):
                line += len(chunk.lines)
                yield chunk
        if len(rest) > MAX_LINE_BYTES:
            yield _too_long(index, width, line)
            line += 1
            rest, block = _skip_line(stream)
        if not block:
            return


def _too_long(index: dict[str, int], width: int, line: int) -> RowChunk:
    """The one bad row of a line longer than :data:`MAX_LINE_BYTES`: empty fields."""
    import pyarrow as pa

    return RowChunk(
        pa.array([_fit_width(None, width)], type=pa.binary()),
        {name: np.array([""], dtype=object) for name in index},
        np.array([TOO_LONG], dtype=object),
        np.array([line], dtype=np.int64),
    )


def _skip_line(stream) -> tuple[bytes, bytes]:
    """Read past the end of the current line, a block at a time: what follows its line
    end, and the last block read (empty at the end of the input)."""
    while True:
        block = stream.read(BLOCK_BYTES)
        end = block.find(_LF)
        if not block or end >= 0:
            return block[end + 1 :] if block else b"", block


def _fast_rows(data: bytes, index: dict[str, int], width: int, chunk_size: int, line: int) -> Iterator[RowChunk]:
    """Lines without quotes: split on commas with Arrow, one row per line."""
    import pyarrow as pa
    import pyarrow.compute as pc

    raw = _split_lines(data)
    has_return = _CR in data
    for start in range(0, len(raw), chunk_size):
        chunk = raw.slice(start, chunk_size)
        try:  # one cast checks the whole chunk's UTF-8; only a failing chunk is looked at line by line
            lines, valid = chunk.cast(pa.string()), None
        except pa.ArrowInvalid:
            valid = _valid_utf8(chunk)
            lines = pc.if_else(pa.array(valid), chunk, pa.scalar(b"", pa.binary())).cast(pa.string())
        inner = None
        if has_return:  # CRLF (or CR CR LF): the \r belong to the line end, not the last field (nor the output)
            lines = pc.utf8_rtrim(lines, "\r")
            chunk = pc.replace_substring_regex(chunk, pattern="\r+$", replacement="")
            inner = pc.match_substring(lines, "\r").to_numpy(zero_copy_only=False)
        fields = pc.split_pattern(lines, ",")
        counts = pc.list_value_length(fields).to_numpy(zero_copy_only=False)
        problems = np.full(len(chunk), "", dtype=object)
        if valid is not None or (counts != width).any() or (inner is not None and inner.any()):  # some line is not clean
            ok = np.ones(len(chunk), dtype=bool) if valid is None else valid
            blank = pc.equal(lines, "").to_numpy(zero_copy_only=False) & ok
            problems = line_problems(ok, blank, counts, width, inner_return=None if inner is None else inner & ok)
            safe = pc.if_else(pa.array(problems != ""), pa.scalar("," * (width - 1)), lines)
            fields = pc.split_pattern(safe, ",")
            raw_lines = chunk.to_pylist()  # the rare path: each bad row written back as width fields
            for position in np.flatnonzero(problems != ""):  # bytes that are not UTF-8 stay as read
                raw_lines[position] = _fit_width(_raw_fields(raw_lines[position]), width)
            chunk = pa.array(raw_lines, type=pa.binary())
        values = {name: _fast_column(name, pc.list_element(fields, column)) for name, column in index.items()}
        yield RowChunk(chunk, values, problems, np.arange(line, line + len(chunk)))
        line += len(chunk)


def _fast_column(name: str, column):
    """One field of a chunk as ``predict_frame`` reads it, without a Python
    string per row where that can be avoided.

    Names become a categorical (a code per row, each distinct name resolved
    once; an empty field is missing). Years become floats when Arrow reads
    every one as a number in range; otherwise the text goes to
    ``predict_frame``, which names each bad value as it was written.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if name in ("country", "company"):
        encoded = pc.dictionary_encode(column)
        names = encoded.dictionary.to_pylist()
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        if "" in names:
            blank = names.index("")
            remap = np.arange(len(names)) - (np.arange(len(names)) > blank)
            remap[blank] = -1
            codes = remap[codes]
            del names[blank]
        return pd.Categorical.from_codes(codes, categories=names)
    try:
        years = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        years = None
    if years is not None and bool(((years >= 0) & (years <= MAX_YEARS)).all()):
        return years
    return column.to_numpy(zero_copy_only=False)


def _valid_utf8(chunk) -> np.ndarray:
    """Which binary lines are valid UTF-8 (only called on a chunk that failed as a whole)."""
    ok = np.ones(len(chunk), dtype=bool)
    for position, value in enumerate(chunk.to_pylist()):
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            ok[position] = False
    return ok


class _RawLines:
    """Physical lines of the rest of the input, decoded for the CSV reader one by
    one, remembering the raw bytes and which lines were not valid UTF-8."""

    def __init__(self, head: io.BytesIO, stream) -> None:
        self.sources = [head, stream]
        self.raw: list[bytes] = []
        self.invalid = False
        self.too_long = False

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = b""
        while self.sources and not line.endswith(_LF):
            more = self.sources[0].readline(MAX_LINE_BYTES + 1 - len(line))
            if more:
                line += more  # a line cut between the buffered block and the stream is joined
            else:
                self.sources.pop(0)
            if len(line) > MAX_LINE_BYTES:
                self._skip_to_line_end(line)
                self.too_long, line = True, _LF
        if not line:
            raise StopIteration
        self.raw.append(line)
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            self.invalid = True
            return line.decode("utf-8", errors="replace")

    def _skip_to_line_end(self, line: bytes) -> None:
        """Read past the end of a too-long line a block at a time, keeping nothing of it."""
        while self.sources and not line.endswith(_LF):
            line = self.sources[0].readline(BLOCK_BYTES)
            if not line:
                self.sources.pop(0)

    def take(self) -> tuple[bytes, bool, bool]:
        """The raw bytes consumed since the last call, whether any were not UTF-8, and
        whether a line was too long (its bytes are not kept)."""
        raw, invalid, too_long = b"".join(self.raw), self.invalid, self.too_long
        self.raw, self.invalid, self.too_long = [], False, False
        return raw, invalid, too_long


def _quoted_rows(head: io.BytesIO, stream, index: dict[str, int], width: int, chunk_size: int, line: int) -> Iterator[RowChunk]:
    """The general path: Python's CSV reader, each record's raw text and first line kept."""
    import pyarrow as pa

    source = _RawLines(head, stream)
    reader = csv.reader(source)
    raws: list[bytes] = []
    numbers: list[int] = []
    records: list[list[str] | None] = []
    readable: list[bool] = []
    unreadable: list[str] = []

    def taken() -> RowChunk:
        widths = np.array([width if r is None else len(r) for r in records], dtype=np.int64)
        blank = np.array([r is not None and not r for r in records], dtype=bool)
        problems = line_problems(np.array(readable, dtype=bool), blank, widths, width, np.array(unreadable, dtype=object))
        values: dict[str, list[str]] = {name: [] for name in index}
        for position, record in enumerate(records):
            if problems[position]:  # written back as exactly the header's number of fields, bytes as read
                raws[position] = _fit_width(_raw_fields(raws[position]) if record is not None else None, width)
            for name, column in index.items():
                values[name].append("" if problems[position] or record is None else record[column])
        chunk = RowChunk(
            pa.array(raws, type=pa.binary()),
            {k: np.array(v, dtype=object) for k, v in values.items()},
            problems,
            np.array(numbers, dtype=np.int64),
        )
        for kept in (raws, numbers, records, readable, unreadable):
            kept.clear()
        return chunk

    while True:
        first = line
        try:
            record: list[str] | None = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            record, problem = None, f"the line cannot be read as CSV ({error})"
        else:
            problem = ""
        raw, invalid, too_long = source.take()
        spans = raw.count(_LF) if raw.endswith(_LF) else raw.count(_LF) + 1
        line += spans
        if too_long:
            record, problem = None, TOO_LONG
        elif raw.count(b'"') % 2:  # only the end of the input closes a record whose quote never closes
            problem = (
                f"a quote opened on line {first} is never closed, so lines {first}-{first + spans - 1} were "
                "read as one row: close the quote"
            )
        raws.append(raw.rstrip(_LF).rstrip(_CR) if raw.endswith(_LF) else raw)
        numbers.append(first)
        records.append(record)
        readable.append(not invalid)
        unreadable.append(problem)
        if len(raws) >= chunk_size:
            yield taken()
    if raws:
        yield taken()
