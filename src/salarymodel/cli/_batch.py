"""Scoring a CSV file of profiles: streamed in bounded memory, input lines kept
byte for byte, estimates appended, at numpy and Arrow speed.

The file is read in blocks of at most :data:`BLOCK_BYTES` and written as it
goes, so memory does not grow with the file. Each input line is written
back exactly as it was read (``007`` stays ``007``), followed by the new
columns, formatted by Arrow's compute kernels (two decimals). A line that
cannot be read (invalid UTF-8, too many or too few fields, a blank line) is
one bad row with its true line number: its new columns are empty but for
``error``, and every other row is scored. Once a quote appears, the rest of
the file goes through Python's CSV reader (quoted fields may hold commas
and line breaks), which keeps each record's raw text and first line number.

The output is written through :class:`OutputSink`: atomically for a regular
file, directly for a device or FIFO; a symlink is followed; the output may
never be the input.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import stat
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.levels import MAX_YEARS

__all__ = ["OUTPUT_COLUMNS", "BLOCK_BYTES", "OutputSink", "score_csv"]

OUTPUT_COLUMNS = ("low", "median", "high", "currency", "company_known", "support", "as_of", "projected", "error")
# Bytes read at a time: memory stays bounded by this, whatever the file's size.
BLOCK_BYTES = 2 * 1024 * 1024
_BOM = codecs.BOM_UTF8
# The header line is read at most this long.
_MAX_HEADER_BYTES = 1 << 20


def _umask() -> int:
    """The process's umask (read by setting it, then put back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class OutputSink:
    """Where a batch's output goes: a regular file is written to a temporary
    sibling and renamed over it when complete; a device or FIFO is written
    to directly (never replaced). A symlink is followed: its target is what
    is written, the link stays. The output may never be the input: that is
    refused before anything is read.
    """

    def __init__(self, target: Path, source: Path) -> None:
        self.requested = Path(target)
        self.path = Path(os.path.realpath(target))
        if self.path.is_dir():
            raise ValueError(f"The '--output' option names {target}, which is a folder. Give a file name.")
        try:
            same = os.path.samefile(self.path, source)
        except OSError:
            same = False
        if same:
            through = "" if Path(target) == Path(source) else f" (as {target})"
            raise ValueError(f"The '--output' option names the input file {source}{through}: scoring would "
                             "destroy the input. Write the estimates to another file.")
        self.direct = self.path.exists() and not self.path.is_file()
        # An output may hold per-employee salaries: a replaced file keeps its permissions,
        # a new one gets what the umask allows, and a read-only file is not replaced.
        self.mode = None
        if self.path.is_file():
            self.mode = stat.S_IMODE(self.path.stat().st_mode)
            if not self.mode & 0o222:
                raise ValueError(f"The '--output' option names {target}, which is read-only (mode "
                                 f"{self.mode:04o}): make it writable, or write to another file.")
        folder = self.path.parent
        if not self.direct and folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
            raise ValueError(f"The '--output' option names {target}, but the folder {folder} is not writable.")
        self._stream = None
        self._tmp: Path | None = None

    def open(self):
        """A binary stream to write the output to."""
        if self.direct:
            self._stream = open(self.path, "wb")
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            self._tmp = Path(name)
            self._stream = os.fdopen(handle, "wb")
        return self._stream

    def commit(self) -> None:
        """Finish: rename the complete file into place (or close the device)."""
        stream, self._stream = self._stream, None
        if self.direct:
            stream.close()
            return
        stream.flush()
        os.fsync(stream.fileno())
        stream.close()
        os.chmod(self._tmp, self.mode if self.mode is not None else 0o666 & ~_umask())
        os.replace(self._tmp, self.path)
        self._tmp = None

    def abort(self) -> None:
        """Give up: the temporary file is removed, the target is untouched."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
            self._tmp = None


def _text(values, bad: np.ndarray):
    """An output column as an Arrow string array, empty for bad rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, pd.Categorical) or isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        array = pa.array(values).cast(pa.string())
    elif values.dtype == bool:
        codes = np.where(bad, -1, np.asarray(values, dtype=np.int8))
        array = pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), pa.array(["False", "True"]))
        array = array.cast(pa.string())
    elif values.dtype.kind == "f":
        array = pc.cast(pc.round(pa.array(np.asarray(values), from_pandas=True), 2), pa.string())
    else:
        array = pa.array(np.asarray(values, dtype=object), type=pa.string())
    return pc.fill_null(array, "")


def _quoted(array):
    """CSV-quote the non-empty values of a string array (error messages hold commas)."""
    import pyarrow.compute as pc

    escaped = pc.replace_substring(array, '"', '""')
    quoted = pc.binary_join_element_wise('"', escaped, '"', "")
    return pc.if_else(pc.equal(array, ""), array, quoted)


def _line_bytes(raw_lines, scored: pd.DataFrame, bad: np.ndarray, ending: bytes = b"\n") -> memoryview:
    """``raw_line,low,...,error`` and the file's line end for every row, as one
    contiguous buffer (``raw_lines``: binary, without their line ends)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = [_text(scored[name].array if name in ("currency", "support", "as_of") else scored[name].to_numpy(),
                     bad) for name in OUTPUT_COLUMNS[:-1]]
    columns.append(_quoted(_text(scored["error"].to_numpy(), bad)))
    columns = [c.cast(pa.binary()) for c in columns]
    rows = pc.binary_join_element_wise(raw_lines.cast(pa.binary()), *columns, pa.scalar(b",", pa.binary()))
    text = pc.binary_join_element_wise(rows, pa.scalar(b"", pa.binary()), pa.scalar(ending, pa.binary()))
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset:text.offset + len(text) + 1]
    return memoryview(text.buffers()[2])[offsets[0]:offsets[-1]]


def _fit_width(fields: list[bytes] | None, width: int) -> bytes:
    """A bad row's input as exactly ``width`` CSV fields, so the output stays a table:
    missing fields are empty, the extra ones join the last field (quoted), and a
    line that could not be read at all becomes empty fields."""
    if not fields:
        return b"," * (width - 1)
    if len(fields) == width:
        return b",".join(fields)
    if len(fields) < width:
        fields = fields + [b""] * (width - len(fields))
    elif len(fields) > width:
        fields = fields[:width - 1] + [b",".join(fields[width - 1:])]
    return b",".join(b'"' + f.replace(b'"', b'""') + b'"' if (b"," in f or b'"' in f or b"\n" in f) else f
                     for f in fields)


def _split_lines(data: bytes):
    """The lines of ``data`` (which ends with a newline) as a binary array
    without their ``\\n``, zero-copy."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1
    offsets = np.concatenate([[0], ends]).astype(np.int32)
    with_newline = pa.BinaryArray.from_buffers(pa.binary(), len(ends), [None, pa.py_buffer(offsets),
                                                                         pa.py_buffer(data)])
    return pc.binary_slice(with_newline, 0, -1)


def _header(raw: bytes, source: Path) -> list[str]:
    """Column names of the header line: a UTF-8 BOM is dropped, duplicates refused by name."""
    text = raw[len(_BOM):] if raw.startswith(_BOM) else raw
    try:
        line = text.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise ValueError(f"The header line of {source} is not valid UTF-8. Save the file as UTF-8.") from None
    names = next(csv.reader([line])) if line else []
    missing = [c for c in ("country", "years") if c not in names]
    if missing:
        raise ValueError(f"{source} needs columns country and years (and optionally company); missing {missing}. "
                         f"Its header is {names}.")
    seen, duplicates = set(), []
    for name in names:
        if name in seen and name not in duplicates:
            duplicates.append(name)
        seen.add(name)
    if duplicates:
        raise ValueError(f"{source} has the column(s) {duplicates} more than once in its header: say which one "
                         "to use by renaming the others.")
    return names


class _Scorer:
    """Scores chunks of rows and writes them, counting rows and bad rows."""

    def __init__(self, model, names: list[str], out, options: dict, progress) -> None:
        self.model, self.names, self.out, self.options, self.progress = model, names, out, options, progress
        self.index = {name: names.index(name) for name in ("country", "years", "company", "years_max")
                      if name in names}
        self.rows = self.bad = 0
        self.pool = ThreadPoolExecutor(max_workers=1)  # formatting overlaps the next chunk's scoring
        self.pending = None
        self.ending = b"\n"  # the input's line end, kept in the output (set from the header)

    def write(self, raw_lines, fields: dict, problems: np.ndarray, first_line: int,
              line_numbers: np.ndarray | None = None) -> None:
        """Score one chunk: ``fields`` maps column -> string values;
        ``problems`` holds a reason for each structurally bad row ('' if none)."""
        country = fields["country"]
        if not isinstance(country, pd.Categorical):
            country = pd.Series(country, dtype=object).replace("", None)
        frame = pd.DataFrame({"country": country, "years": fields["years"]})
        for optional in ("company", "years_max"):
            if optional in fields:
                frame[optional] = fields[optional]
        scored = self.model.predict_frame(frame, errors="coerce", **self.options)
        structural = problems != ""
        if structural.any():
            scored.loc[structural, ["low", "median", "high"]] = np.nan
            for column in ("currency", "support", "as_of"):
                codes = scored[column].cat.codes.to_numpy().copy()
                codes[structural] = -1
                scored[column] = pd.Categorical.from_codes(codes, categories=scored[column].cat.categories)
            scored["error"] = np.where(structural, problems, scored["error"].to_numpy())
        bad = (scored["error"] != "").to_numpy()
        numbers = line_numbers if line_numbers is not None else np.arange(first_line, first_line + len(frame))
        for position in np.flatnonzero(bad):
            print(f"line {numbers[position]}: {scored['error'].iloc[position]}", file=sys.stderr)
        self._flush()
        self.pending = self.pool.submit(_line_bytes, raw_lines, scored, bad, self.ending)
        self.rows += len(frame)
        self.bad += int(bad.sum())
        if self.progress is not None:
            self.progress.update(len(frame))

    def _flush(self) -> None:
        if self.pending is not None:
            self.out.write(self.pending.result())
            self.pending = None

    def close(self) -> None:
        try:
            self._flush()
        finally:
            self.pool.shutdown(cancel_futures=True)


def score_csv(model, source: Path, target: Path, *, chunk_size: int, progress=None, **options) -> tuple[int, int]:
    """Score ``source`` into ``target``, streaming.

    Parameters
    ----------
    model : SalaryModel
    source, target : Path
        Input CSV with columns country, years[, company]; output CSV.
    chunk_size : int
        Rows scored at a time (a positive whole number).
    progress : tqdm or None
        Updated with the rows scored.
    **options
        ``confidence``, ``currency``, ``as_of``, ``aging_rate`` for
        :meth:`SalaryModel.predict_frame`.

    Returns
    -------
    (rows, bad_rows) : tuple of int
        Bad rows are reported on stderr by line number and left empty.

    Raises
    ------
    ValueError
        A bad chunk size, an output that is the input or a folder, or a
        header without country and years, with duplicate columns or not UTF-8.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"The '--chunk-size' option must be a positive whole number of rows. Got {chunk_size!r}.")
    source = Path(source)
    if not source.is_file():
        raise ValueError(f"The '--input' option names {source}, which is not a readable file.")
    sink = OutputSink(target, source)  # refuses an output that is the input, before reading
    with open(source, "rb") as stream:
        header_raw = stream.readline(_MAX_HEADER_BYTES)  # bounded: a file without line ends is not buffered whole
        if not header_raw.endswith(b"\n") and b"\r" in header_raw.rstrip(b"\r"):
            raise ValueError(f"{source} ends its lines with a carriage return alone (an old Mac format): save it "
                             "as CSV with LF or CRLF line ends, then score it.")
        if len(header_raw) == _MAX_HEADER_BYTES and not header_raw.endswith(b"\n"):
            raise ValueError(f"{source} has no line end in its first {_MAX_HEADER_BYTES:,} bytes: a header is one "
                             "line naming the columns (country, years, ...).")
        if not header_raw.strip():
            raise ValueError(f"{source} is empty: it needs a header line with columns country and years.")
        names = _header(header_raw, source)
        # Options are checked once, before any output is opened.
        model.predict_frame(pd.DataFrame({"country": [], "years": []}), errors="coerce", **options)
        out = sink.open()
        scorer = _Scorer(model, names, out, options, progress)
        try:
            ending = b"\r\n" if header_raw.endswith(b"\r\n") else b"\n"
            scorer.ending = ending
            out.write(header_raw.rstrip(b"\r\n") + ("," + ",".join(OUTPUT_COLUMNS)).encode() + ending)
            _stream_body(stream, scorer, names, chunk_size)
            scorer.close()
            sink.commit()
        except BaseException:
            scorer.pool.shutdown(cancel_futures=True)
            sink.abort()
            raise
    return scorer.rows, scorer.bad


def _stream_body(stream, scorer: _Scorer, names: list[str], chunk_size: int) -> None:
    """Blocks of whole lines through the fast path until a quote appears, then
    the rest through the CSV reader."""
    line = 2
    rest = b""
    while True:
        block = stream.read(BLOCK_BYTES)
        data = rest + block
        if not block:
            if data:
                data += b"\n"  # a last line without its newline
            rest = b""
        else:
            cut = data.rfind(b"\n") + 1
            data, rest = data[:cut], data[cut:]
        if data:
            if b'"' in data:
                _quoted_rows(io.BytesIO(data + rest), stream, scorer, names, chunk_size, line)
                return
            line = _fast_rows(data, scorer, names, chunk_size, line)
        if not block:
            return


def _fast_rows(data: bytes, scorer: _Scorer, names: list[str], chunk_size: int, line: int) -> int:
    """Lines without quotes: split on commas with Arrow, one row per line."""
    import pyarrow as pa
    import pyarrow.compute as pc

    raw = _split_lines(data)
    has_return = b"\r" in data
    for start in range(0, len(raw), chunk_size):
        chunk = raw.slice(start, chunk_size)
        try:  # one cast checks the whole chunk's UTF-8; only a failing chunk is looked at line by line
            lines, valid = chunk.cast(pa.string()), None
        except pa.ArrowInvalid:
            valid = _valid_utf8(chunk)
            lines = pc.if_else(pa.array(valid), chunk, pa.scalar(b"", pa.binary())).cast(pa.string())
        if has_return:  # a CRLF file: the \r is the line end's, not the last field's (nor the output's)
            lines = pc.utf8_rtrim(lines, "\r")
            chunk = pc.if_else(pc.ends_with(chunk, pattern="\r"), pc.binary_slice(chunk, 0, -1), chunk)
        problems = np.full(len(chunk), "", dtype=object)
        fields = pc.split_pattern(lines, ",")
        counts = pc.list_value_length(fields).to_numpy(zero_copy_only=False)
        width = len(names)
        if valid is not None or (counts != width).any():  # the rare path: some line is not a clean row
            ok = np.ones(len(chunk), dtype=bool) if valid is None else valid
            problems[~ok] = "the line is not valid UTF-8 (save the file as UTF-8)"
            blank = pc.equal(lines, "").to_numpy(zero_copy_only=False) & ok
            ragged = (counts != width) & ~blank & ok
            problems[blank] = "blank line"
            for position in np.flatnonzero(ragged):
                problems[position] = (f"the line has {counts[position]} fields but the header has {width} (an "
                                      "unquoted comma in a value? quote it)")
            safe = pc.if_else(pa.array(problems != ""), pa.scalar("," * (width - 1)), lines)
            fields = pc.split_pattern(safe, ",")
            raw_lines = chunk.to_pylist()  # the rare path: each bad row written back as width fields
            for position in np.flatnonzero(problems != ""):
                # Bytes that are not UTF-8 stay as read (no quotes here, so commas split the fields).
                raw_lines[position] = _fit_width(None if blank[position] else raw_lines[position].split(b","), width)
            chunk = pa.array(raw_lines, type=pa.binary())
        values = {name: _fast_column(name, pc.list_element(fields, index)) for name, index in scorer.index.items()}
        scorer.write(chunk, values, problems, line)
        line += len(chunk)
    return line


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
    """Which binary lines are valid UTF-8 (Arrow checks the whole array at once;
    only a failing chunk is looked at line by line)."""
    import pyarrow as pa

    try:
        chunk.cast(pa.string())
        return np.ones(len(chunk), dtype=bool)
    except pa.ArrowInvalid:
        ok = np.ones(len(chunk), dtype=bool)
        for position, value in enumerate(chunk.to_pylist()):
            try:
                value.decode("utf-8")
            except UnicodeDecodeError:
                ok[position] = False
        return ok


class _RawLines:
    """Physical lines of the rest of the file, decoded for the CSV reader one by
    one, remembering the raw bytes and which lines were not valid UTF-8."""

    def __init__(self, head: io.BytesIO, stream) -> None:
        self.sources = [head, stream]
        self.raw: list[bytes] = []
        self.invalid = False
        self.count = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = b""
        while self.sources and not line.endswith(b"\n"):
            more = self.sources[0].readline()
            if more:
                line += more  # a line cut between the buffered block and the stream is joined
            else:
                self.sources.pop(0)
        if not line:
            raise StopIteration
        self.raw.append(line)
        self.count += 1
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            self.invalid = True
            return line.decode("utf-8", errors="replace")

    def take(self) -> tuple[bytes, bool]:
        """The raw bytes consumed since the last call, and whether any were not UTF-8."""
        raw, invalid = b"".join(self.raw), self.invalid
        self.raw, self.invalid = [], False
        return raw, invalid


def _quoted_rows(head: io.BytesIO, stream, scorer: _Scorer, names: list[str], chunk_size: int, line: int) -> None:
    """The general path: Python's CSV reader, each record's raw text and first line kept."""
    import pyarrow as pa

    source = _RawLines(head, stream)
    reader = csv.reader(source)
    width = len(names)
    raws: list[bytes] = []
    numbers: list[int] = []
    problems: list[str] = []
    values: dict[str, list[str]] = {name: [] for name in scorer.index}

    def flush() -> None:
        if not raws:
            return
        scorer.write(pa.array(raws, type=pa.binary()), {k: np.array(v, dtype=object) for k, v in values.items()},
                     np.array(problems, dtype=object), numbers[0], np.array(numbers))
        raws.clear(), numbers.clear(), problems.clear()
        for v in values.values():
            v.clear()

    while True:
        first = line + 0
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            record, problem = None, f"the line cannot be read as CSV ({error})"
        else:
            problem = ""
        raw, invalid = source.take()
        line += raw.count(b"\n") if raw.endswith(b"\n") else raw.count(b"\n") + 1
        if invalid:
            problem = "the line is not valid UTF-8 (save the file as UTF-8)"
        elif record is not None and not record:
            problem = "blank line"
        elif record is not None and len(record) != width:
            problem = (f"the line has {len(record)} fields but the header has {width} (an unquoted comma in a "
                       "value? quote it)")
        raw = raw.rstrip(b"\n").rstrip(b"\r") if raw.endswith(b"\n") else raw
        if problem:  # written back as exactly the header's number of fields
            readable = record is not None and not invalid
            raw = _fit_width([f.encode() for f in record] if readable else None, width)
        raws.append(raw)
        numbers.append(first)
        problems.append(problem)
        for name, index in scorer.index.items():
            values[name].append(record[index] if not problem and record is not None else "")
        if len(raws) >= chunk_size:
            flush()
    flush()
