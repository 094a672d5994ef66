"""Scoring a CSV file of profiles: streamed in bounded memory, input lines kept
byte for byte, estimates appended, at numpy and Arrow speed.

The rows come from :mod:`salarymodel.serving.csv_rows` (the reader the HTTP
API uses too) in chunks, and are written as they go, so memory does not grow
with the file. Each input line is written back exactly as it was read
(``007`` stays ``007``), followed by the new columns, formatted by Arrow's
compute kernels (two decimals). A line that cannot be read is one bad row
with its true line number: its new columns are empty but for ``error``, and
every other row is scored. Lines end as the input's header does (LF or
CRLF); a file of carriage returns alone is written with LF.

The output is written through :class:`OutputSink`: atomically for a regular
file, directly for a device or FIFO; a symlink is followed; the output may
never be the input.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from ..serving.csv_rows import RowChunk, open_csv, score_chunk

__all__ = ["OUTPUT_COLUMNS", "SALARY_COLUMNS", "OutputSink", "output_columns", "score_csv"]

# Rows scored at a time, at most: memory grows with the chunk.
MAX_CHUNK_ROWS = 10_000_000
OUTPUT_COLUMNS = ("low", "median", "high", "currency", "company_known", "employer", "support", "as_of", "projected", "error")
# Added before ``error`` when the input has a ``salary`` column: where each salary stands.
SALARY_COLUMNS = ("percentile", "compa_ratio")


def output_columns(names, percentiles: tuple[float, ...] | None = None, sources: bool = False) -> tuple[str, ...]:
    """The columns a batch adds to an input whose header has ``names``: the
    estimate, then where a ``salary`` stands, the ``percentiles`` asked for
    (``p10``, ...), the figures each row rests on (``sources``), and ``error``."""
    added = list(OUTPUT_COLUMNS[:-1])
    if "salary" in names:
        added += SALARY_COLUMNS
    added += [f"p{float(q):g}" for q in percentiles or ()]
    if sources:
        added.append("sources")
    return (*added, OUTPUT_COLUMNS[-1])


def _refuse_clashes(source: Path, names, added) -> None:
    """An input column named like one the output adds would be written twice, and a
    reader would take the input's copy (filtering on ``error`` would find no bad row)."""
    given = set(names)
    clashes = [name for name in added if name in given]
    if clashes:
        listed = ", ".join(repr(name) for name in clashes)
        raise ValueError(
            f"The input {source} (line 1, its header) already has the column{'s' if len(clashes) > 1 else ''} "
            f"{listed}, which the output adds. Rename or drop {'them' if len(clashes) > 1 else 'it'}, then score again."
        )


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
        self.stdout = str(target) == "-"  # the usual name for standard output
        if self.stdout:
            target = Path("/dev/stdout")
        self.path = Path(os.path.realpath(target))
        if self.path.is_dir():
            raise ValueError(f"The '--output' option names {target}, which is a folder. Give a file name.")
        try:
            same = os.path.samefile(self.path, source)
        except OSError:
            same = False
        if same:
            through = "" if Path(target) == Path(source) else f" (as {target})"
            raise ValueError(
                f"The '--output' option names the input file {source}{through}: scoring would "
                "destroy the input. Write the estimates to another file."
            )
        try:  # followed through links: /dev/stdout is a link to a pipe with no path of its own
            kind = os.stat(target).st_mode
        except OSError:
            kind = None
        self.direct = self.stdout or (kind is not None and not stat.S_ISREG(kind))
        if self.direct and not self.stdout:
            self.path = Path(target)  # a device, FIFO or pipe is opened by the name given
        # An output may hold per-employee salaries: a replaced file keeps its permissions and owner,
        # a new one gets what the umask allows, and a read-only file is not replaced.
        self.mode = None
        self.owner: tuple[int, int] | None = None
        if self.path.is_file():
            status = self.path.stat()
            self.mode = stat.S_IMODE(status.st_mode)
            self.owner = (status.st_uid, status.st_gid)
            if status.st_uid != os.geteuid() and os.geteuid() != 0:  # only root can give the new file back
                raise ValueError(
                    f"The '--output' option names {target}, which belongs to another user: replacing it would make "
                    "it yours. Write to another file, or ask its owner."
                )
            if not self.mode & 0o222:
                raise ValueError(
                    f"The '--output' option names {target}, which is read-only (mode "
                    f"{self.mode:04o}): make it writable, or write to another file."
                )
        folder = self.path.parent
        if not self.direct and folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
            raise ValueError(f"The '--output' option names {target}, but the folder {folder} is not writable.")
        self._stream: BinaryIO | None = None
        self._tmp: Path | None = None

    def open(self) -> BinaryIO:
        """A binary stream to write the output to."""
        if self.stdout:
            if sys.stdout is None:  # started with standard output closed (>&-)
                raise ValueError("The '--output' option names standard output (-), which is closed. Give a file name.")
            self._stream = sys.stdout.buffer
            return self._stream
        if self.direct:
            self._stream = open(self.path, "wb")
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._remove_stale()
            handle, name = tempfile.mkstemp(prefix=f".{self.path.name}.{os.getpid()}.", suffix=".tmp", dir=self.path.parent)
            self._tmp = Path(name)
            self._stream = os.fdopen(handle, "wb")
        return self._stream

    def _remove_stale(self) -> None:
        """Remove this output's temporary files that a killed run left (``kill -9`` gives no
        chance to clean up): ours by name, ``.<output>.<pid>.<random>.tmp``, of a process
        that no longer runs. A running batch's file is left alone."""
        pattern = re.compile(rf"^\.{re.escape(self.path.name)}\.(\d+)\.[A-Za-z0-9_]+\.tmp$")
        for sibling in self.path.parent.iterdir():
            found = pattern.match(sibling.name)
            if found is None or not sibling.is_file() or sibling.is_symlink():
                continue
            try:
                os.kill(int(found.group(1)), 0)
            except ProcessLookupError:
                sibling.unlink(missing_ok=True)
            except (PermissionError, OverflowError, ValueError):  # alive under another user, or no pid
                continue

    def commit(self) -> None:
        """Finish: rename the complete file into place (or close the device)."""
        stream, self._stream = self._stream, None
        assert stream is not None, "commit() before open()"
        if self.stdout:
            stream.flush()  # standard output stays open for the summary's caller
            return
        if self.direct:
            stream.close()
            return
        stream.flush()
        os.fsync(stream.fileno())
        stream.close()
        assert self._tmp is not None  # a regular file is written through its temporary sibling
        if self.owner is not None and self.owner != (os.geteuid(), os.getegid()):
            os.chown(self._tmp, *self.owner)  # a replaced file keeps its owner (root is here)
        os.chmod(self._tmp, self.mode if self.mode is not None else 0o666 & ~_umask())
        os.replace(self._tmp, self.path)
        self._tmp = None

    def abort(self) -> None:
        """Give up: the temporary file is removed, the target is untouched."""
        if self._stream is not None:
            if not self.stdout:
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


def _column(scored: pd.DataFrame, name: str):
    """One added column's values as :func:`_text` takes them (``sources``, a tuple
    of figure ids per row, as ids joined by ``;``)."""
    if name in ("currency", "support", "as_of", "employer"):
        return scored[name].array
    if name == "sources":
        return np.array([";".join(ids) if isinstance(ids, tuple) else "" for ids in scored[name]], dtype=object)
    return scored[name].to_numpy()


def _quoted(array, only_where_needed: bool = False):
    """CSV-quote the non-empty values of a string array (error messages hold commas),
    or only those holding a comma or a quote."""
    import pyarrow.compute as pc

    escaped = pc.replace_substring(array, '"', '""')
    quoted = pc.binary_join_element_wise('"', escaped, '"', "")
    plain = pc.equal(array, "")
    if only_where_needed:
        plain = pc.invert(pc.match_substring_regex(array, '[,"]'))
    return pc.if_else(plain, array, quoted)


def _line_bytes(
    raw_lines, scored: pd.DataFrame, bad: np.ndarray, ending: bytes = b"\n", added: tuple[str, ...] = OUTPUT_COLUMNS
) -> memoryview:
    """``raw_line,low,...,error`` and the file's line end for every row, as one
    contiguous buffer (``raw_lines``: binary, without their line ends)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = [_text(_column(scored, name), bad) for name in added[:-1]]
    if "employer" in added:  # a name may hold a comma or a quote
        at = added.index("employer")
        columns[at] = _quoted(columns[at], only_where_needed=True)
    columns.append(_quoted(_text(scored["error"].to_numpy(), bad)))
    columns = [c.cast(pa.binary()) for c in columns]
    rows = pc.binary_join_element_wise(raw_lines.cast(pa.binary()), *columns, pa.scalar(b",", pa.binary()))
    text = pc.binary_join_element_wise(rows, pa.scalar(b"", pa.binary()), pa.scalar(ending, pa.binary()))
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset : text.offset + len(text) + 1]
    return memoryview(text.buffers()[2])[offsets[0] : offsets[-1]]


class _Scorer:
    """Scores chunks of rows and writes them, counting rows and bad rows."""

    def __init__(self, model, out, options: dict, progress, ending: bytes, added: tuple[str, ...] = OUTPUT_COLUMNS) -> None:
        self.model, self.out, self.options, self.progress = model, out, options, progress
        self.rows = self.bad = 0
        self.pool = ThreadPoolExecutor(max_workers=1)  # formatting overlaps the next chunk's scoring
        self.pending: Future[memoryview] | None = None
        self.ending = ending  # the input's line end, kept in the output
        self.added = added

    def write(self, chunk: RowChunk) -> None:
        """Score one chunk and queue its lines for writing; bad rows are named on stderr."""
        scored = score_chunk(self.model.predict_frame, chunk, **self.options)
        bad = (scored["error"] != "").to_numpy()
        for position in np.flatnonzero(bad):
            print(f"line {chunk.lines[position]}: {scored['error'].iloc[position]}", file=sys.stderr)
        self._flush()
        self.pending = self.pool.submit(_line_bytes, chunk.raw, scored, bad, self.ending, self.added)
        self.rows += len(scored)
        self.bad += int(bad.sum())
        if self.progress is not None:
            self.progress.update(len(scored))

    def _flush(self) -> None:
        if self.pending is not None:
            self.out.write(self.pending.result())
            self.pending = None

    def close(self) -> None:
        try:
            self._flush()
        finally:
            self.pool.shutdown(cancel_futures=True)


def score_csv(
    model,
    source: Path,
    target: Path,
    *,
    chunk_size: int,
    progress=None,
    percentiles: tuple[float, ...] | None = None,
    sources: bool = False,
    **options,
) -> tuple[int, int]:
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
    percentiles : sequence of float, default=None
        Also write these percentiles of each row's salary (columns ``p10``, ...).
    sources : bool, default=False
        Also write the ids of the reported figures each row rests on
        (column ``sources``, separated by ``;``).
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
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or not 1 <= chunk_size <= MAX_CHUNK_ROWS:
        raise ValueError(
            f"The '--chunk-size' option must be a whole number of rows from 1 to {MAX_CHUNK_ROWS:,}. Got {chunk_size!r}."
        )
    source = Path(source)
    if not source.is_file():
        raise ValueError(f"The '--input' option names {source}, which is not a readable file.")
    sink = OutputSink(target, source)  # refuses an output that is the input, before reading
    with open(source, "rb") as stream:
        table = open_csv(stream, str(source))
        # Options are checked once, before any output is opened.
        options.update(percentiles=tuple(percentiles) if percentiles is not None else None, sources=sources)
        model.predict_frame(pd.DataFrame({"country": [], "years": []}), errors="coerce", **options)
        added = output_columns(table.names, options["percentiles"], sources)
        _refuse_clashes(source, table.names, added)
        out = sink.open()
        scorer = _Scorer(model, out, options, progress, table.ending, added)
        try:
            out.write(table.header_text + ("," + ",".join(added)).encode() + table.ending)
            for chunk in table.chunks(chunk_size):
                scorer.write(chunk)
            scorer.close()
            sink.commit()
        except BaseException:
            scorer.pool.shutdown(cancel_futures=True)
            sink.abort()
            raise
    return scorer.rows, scorer.bad
