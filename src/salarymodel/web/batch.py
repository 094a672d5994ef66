"""The HTTP batch: a body of rows (CSV or JSON) to its JSON answer, with every
cost bounded before a frame is built.

Runs in a worker thread (see ``/api/v1/estimates`` in :mod:`.app`), never on
the event loop. A CSV body goes through the command-line batch's reader
(:mod:`salarymodel.serving.csv_rows`), so its rows, line numbers and errors
are the command line's. A JSON body is ``{"rows": [{country, years, ...}],
...}``: each row an object of at most the row fields, each a plain value.
Rows are counted, and fields checked, before pandas sees anything.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np

from ..errors import ParameterError, ParameterTypeError
from ..serving.csv_rows import ROW_COLUMNS, open_csv, score_chunk
from .problems import field_words

__all__ = ["MAX_BATCH_ROWS", "MAX_BATCH_BYTES", "MAX_BATCH_COLUMNS", "MAX_QUEUED_BATCHES", "PERCENTILES", "batch_answer"]

MAX_BATCH_ROWS = 10_000
MAX_BATCH_BYTES = 2 * 1024 * 1024
# A CSV body's header may name this many columns (the row fields and the client's own).
MAX_BATCH_COLUMNS = 64
# Batches waiting for the scoring slot; the next one is told to retry (503).
MAX_QUEUED_BATCHES = 16
PERCENTILES = (10, 25, 50, 75, 90)
_TEXT_COLUMNS = ("currency", "employer", "support", "as_of")


def _problem(message: str, parameter: str = "body", where: str = "body") -> dict:
    return {"msg": message, "parameter": parameter, "where": where}


def _json_rows(scored, lines) -> list[dict]:
    """Scored rows as JSON-safe dicts (NaN -> None, categories -> text), each with its line."""
    rows = []
    for line, record in zip(lines, scored.to_dict("records")):
        row = {
            k: (None if isinstance(v, float) and not math.isfinite(v) else (str(v) if k in _TEXT_COLUMNS and v == v else v))
            for k, v in record.items()
        }
        row["line"] = int(line)
        rows.append(row)
    return rows


def _options(source: dict, names=("confidence", "currency", "as_of", "population")) -> dict:
    return {name: source[name] for name in names if source.get(name) not in (None, "")}


def _csv_batch(model, body: bytes, query: dict) -> tuple[int, Any]:
    options = _options(query)
    if "confidence" in options:
        try:
            options["confidence"] = float(options["confidence"])
        except ValueError:
            return 422, _problem(
                f"The 'confidence' parameter must be a float in (0, 1). Got {options['confidence']!r} instead.",
                "confidence",
                "query",
            )
    try:
        table = open_csv(io.BytesIO(body), "The CSV body", max_columns=MAX_BATCH_COLUMNS)
        chunks = []
        for chunk in table.chunks(MAX_BATCH_ROWS + 1):  # Arrow splits the lines; nothing is scored yet
            chunks.append(chunk)
            if sum(len(c.lines) for c in chunks) > MAX_BATCH_ROWS:
                return 413, _problem(
                    f"The CSV body has more than {MAX_BATCH_ROWS:,} rows; send at most {MAX_BATCH_ROWS:,} per request.", "rows"
                )
    except ValueError as error:
        return 422, _problem(str(error))
    problem = _check_options(model, options, "query")
    if problem:
        return 422, problem
    rows = []
    for chunk in chunks:
        rows += _json_rows(score_chunk(model.predict_frame, chunk, percentiles=PERCENTILES, **options), chunk.lines)
    return 200, rows


def _check_options(model, options: dict, where: str) -> dict | None:
    """A problem naming the option whose value ``predict_frame`` refuses, or None."""
    import pandas as pd

    try:
        model.predict_frame(pd.DataFrame({"country": [], "years": []}), errors="coerce", **options)
    except (ParameterError, ParameterTypeError) as error:
        return _problem(field_words(str(error)), error.parameter, where)
    return None


def _json_batch(model, body: bytes) -> tuple[int, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        return 422, _problem(f"The JSON body cannot be read: {error}")
    except RecursionError:  # nesting deeper than the parser's stack: no batch is shaped like that
        return 422, _problem("The JSON body is nested too deeply: send {'rows': [{...}, ...]}, one level of objects per row.")
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("rows"), list)
        or not all(isinstance(row, dict) for row in payload["rows"])
    ):
        return 422, _problem(
            "The JSON body must be an object with 'rows', a list of objects with country, years and optionally company.", "rows"
        )
    given = payload["rows"]
    if len(given) > MAX_BATCH_ROWS:
        return 413, _problem(f"The batch has {len(given):,} rows; at most {MAX_BATCH_ROWS:,} per request.", "rows")
    # Only the row fields a batch has, each a plain value: a frame is never built
    # wider than its row fields, whatever keys a client invents.
    for number, row in enumerate(given):
        unknown = sorted(set(row) - set(ROW_COLUMNS))
        if unknown:
            return 422, _problem(
                f"Row {number} has the field {unknown[0][:40]!r}; a row has only {', '.join(ROW_COLUMNS)}.", "rows"
            )
        nested = [key for key, value in row.items() if isinstance(value, (dict, list))]
        if nested:
            return 422, _problem(
                f"Row {number}, field {nested[0]!r}: must be a number or text, not a {type(row[nested[0]]).__name__}.", "rows"
            )
    present = [name for name in ROW_COLUMNS if any(name in row for row in given)]
    missing = [name for name in ("country", "years") if name not in present]
    if given and missing:
        return 422, _problem(f"Every row needs country and years; no row has {missing}.", "rows")
    options = _options(payload)
    problem = _check_options(model, options, "body")
    if problem:
        return 422, problem
    import pandas as pd

    frame = pd.DataFrame({name: [_text_safe(row.get(name)) for row in given] for name in present or ("country", "years")})
    scored = model.predict_frame(frame, errors="coerce", percentiles=PERCENTILES, **options)
    return 200, _json_rows(scored, np.arange(1, len(frame) + 1))


def _text_safe(value: object) -> object:
    """A string that cannot be encoded (a lone surrogate from ``\\udc80``) is
    replaced, so one such row is one bad row, not a failed batch."""
    if isinstance(value, str):
        return value.encode("utf-8", errors="replace").decode("utf-8")
    return value


def batch_answer(model, kind: str, body: bytes, query: dict) -> tuple[int, dict]:
    """The status and JSON payload for one batch body.

    Parameters
    ----------
    model : SalaryModel
    kind : {"text/csv", "application/json"}
    body : bytes
        At most :data:`MAX_BATCH_BYTES`.
    query : dict
        The request's query parameters (a CSV body's options).

    Returns
    -------
    (status, payload) : tuple
        200 and ``{"rows": [...], "scored", "bad", ...}``, or a client error
        and ``{"msg", "parameter", "where"}``.
    """
    status, rows = _csv_batch(model, body, query) if kind == "text/csv" else _json_batch(model, body)
    if status != 200:
        return status, rows
    bad = sum(1 for row in rows if row["error"])
    return 200, {
        "rows": rows,
        "scored": len(rows) - bad,
        "bad": bad,
        "pay": model.meta.pay,
        "limits": {"rows": MAX_BATCH_ROWS, "bytes": MAX_BATCH_BYTES},
    }
