"""Scoring a CSV file of profiles: input lines kept byte for byte, estimates
appended, at numpy and Arrow speed.

Each input line is written back exactly as it was read (``007`` stays
``007``), followed by the new columns. Numbers are formatted by Arrow's
compute kernels (two decimals), never one Python float at a time. A file
with quoted fields (which may hold commas or line breaks) goes through the
CSV parser instead, and its input values are still written back unchanged.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["OUTPUT_COLUMNS", "score_csv"]

OUTPUT_COLUMNS = ("low", "median", "high", "currency", "company_known", "support", "as_of", "projected", "error")


def _text(values: np.ndarray | pd.Series | pd.Categorical, bad: np.ndarray):
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


def _line_bytes(raw_lines, scored: pd.DataFrame, bad: np.ndarray) -> memoryview:
    """``raw_line,low,...,error\n`` for every row, as one contiguous buffer."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = [_text(scored[name].array if name in ("currency", "support", "as_of") else scored[name].to_numpy(),
                     bad) for name in OUTPUT_COLUMNS[:-1]]
    columns.append(_quoted(_text(scored["error"].to_numpy(), bad)))
    rows = pc.binary_join_element_wise(raw_lines, *columns, ",")
    text = pc.binary_join_element_wise(rows, pa.scalar("", pa.string()), "\n")  # each row ends with a newline
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset:text.offset + len(text) + 1]
    return memoryview(text.buffers()[2])[offsets[0]:offsets[-1]]


def _lines(data: bytes):
    """Every line of ``data`` (newline included) as one Arrow string array, zero-copy."""
    import pyarrow as pa

    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1
    offsets = np.concatenate([[0], ends]).astype(np.int32)
    return pa.StringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(data)), np.diff(offsets)


def _require_columns(names, source: Path) -> None:
    missing = [c for c in ("country", "years") if c not in names]
    if missing:
        raise ValueError(f"{source} needs columns country and years (and optionally company); missing {missing}.")


def score_csv(model, source: Path, target: Path, *, chunk_size: int, progress=None, **options) -> tuple[int, int]:
    """Score ``source`` into ``target`` (written atomically).

    Parameters
    ----------
    model : SalaryModel
    source, target : Path
        Input CSV with columns country, years[, company]; output CSV.
    chunk_size : int
        Rows scored at a time.
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
        The file lacks the country or years column.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    from ..serving.persist import write_atomic

    data = source.read_bytes()
    if data and not data.endswith(b"\n"):
        data += b"\n"
    lines, lengths = _lines(data)
    # The line-by-line path needs one row per line: no quotes (which may hold
    # line breaks or commas), no carriage returns, no blank lines.
    if len(lines) < 2 or b'"' in data or b"\r" in data or (lengths[1:] <= 1).any():
        return _score_quoted_csv(model, source, target, chunk_size=chunk_size, progress=progress, **options)
    header = data[:lengths[0] - 1]
    names = header.decode("utf-8").split(",")
    _require_columns(names, source)
    text_columns = {name: pa.string() for name in names}
    try:
        table = pa_csv.read_csv(pa.py_buffer(data), convert_options=pa_csv.ConvertOptions(
            column_types=text_columns, strings_can_be_null=False, quoted_strings_can_be_null=False))
    except pa.ArrowInvalid:  # ragged lines: the general parser says where
        return _score_quoted_csv(model, source, target, chunk_size=chunk_size, progress=progress, **options)
    body = pc.utf8_slice_codeunits(lines.slice(1), 0, -1)  # each input line as read, without its newline
    parts, bad_total = [header + ("," + ",".join(OUTPUT_COLUMNS)).encode() + b"\n"], 0
    # Arrow's kernels release the GIL: chunks are formatted on a second
    # thread while the next one is scored.
    formatter = ThreadPoolExecutor(max_workers=2)
    for start in range(0, len(body), chunk_size):
        chunk = table.slice(start, chunk_size)
        frame = pd.DataFrame({name: chunk.column(name).to_pandas() for name in ("country", "company")
                              if name in names})
        try:
            frame["years"] = pc.cast(chunk.column("years"), pa.float64()).to_numpy()
        except pa.ArrowInvalid:  # some years are not numbers: read them one by one, and report them
            frame["years"] = chunk.column("years").to_pandas()
        scored, bad = _score(model, frame, options)
        bad_total += _report(scored, bad, np.arange(start, start + len(frame)) + 2)
        parts.append(formatter.submit(_line_bytes, body.slice(start, len(frame)), scored, bad))
        if progress is not None:
            progress.update(len(frame))

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as stream:
            for part in parts:
                stream.write(part if isinstance(part, bytes) else part.result())

    try:
        write_atomic(target, write)
    finally:
        formatter.shutdown(cancel_futures=True)
    return len(body), bad_total


def _score(model, frame: pd.DataFrame, options: dict) -> tuple[pd.DataFrame, np.ndarray]:
    profiles = pd.DataFrame({"country": frame["country"].replace("", None), "years": frame["years"]},
                            index=frame.index)
    if "company" in frame.columns:
        profiles["company"] = frame["company"]
    scored = model.predict_frame(profiles, errors="coerce", **options)
    return scored, (scored["error"] != "").to_numpy()


def _report(scored: pd.DataFrame, bad: np.ndarray, line_numbers: list[int]) -> int:
    for position in np.flatnonzero(bad):
        print(f"line {line_numbers[position]}: {scored['error'].iloc[position]}", file=sys.stderr)
    return int(bad.sum())


def _score_quoted_csv(model, source: Path, target: Path, *, chunk_size: int, progress, **options) -> tuple[int, int]:
    """The general path: the CSV parser reads every value as text and the
    writer writes it back as text, so input values are kept unchanged."""
    from ..serving.persist import write_atomic

    reader = pd.read_csv(source, chunksize=chunk_size, dtype=str, keep_default_na=False)
    parts, rows, bad_total = [], 0, 0
    for chunk in reader:
        _require_columns(chunk.columns, source)
        scored, bad = _score(model, chunk, options)
        bad_total += _report(scored, bad, [index + 2 for index in chunk.index])
        out = scored.copy()
        for name in ("low", "median", "high"):
            out[name] = np.round(out[name].to_numpy(), 2)
        for name in ("company_known", "projected"):
            out[name] = np.where(bad, "", out[name].map({True: "True", False: "False"}))
        parts.append(pd.concat([chunk, out[list(OUTPUT_COLUMNS)]], axis=1))
        rows += len(chunk)
        if progress is not None:
            progress.update(len(chunk))
    result = pd.concat(parts) if parts else pd.DataFrame(columns=list(OUTPUT_COLUMNS))
    write_atomic(target, lambda tmp: result.to_csv(tmp, index=False))
    return rows, bad_total
