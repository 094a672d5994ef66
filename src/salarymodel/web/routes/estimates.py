"""One engineer's estimate, where a salary stands, the figures behind it, and batches."""

from __future__ import annotations

import math
from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ...serving.distribution import salary_percentiles
from ...serving.explanations import band_parts
from ...serving.words import estimate_sentence
from ..batch import MAX_BATCH_BYTES, MAX_BATCH_ROWS, MAX_QUEUED_BATCHES, PERCENTILES, batch_answer
from ..params import (
    AsOf,
    Company,
    Confidence,
    Country,
    Currency,
    ModelDep,
    Population,
    Salary,
    Years,
    YearsMax,
    answering_core,
    years_value,
)
from ..problems import PROBLEM_RESPONSES, ClientError
from ..schemas import Batch, Estimate, Explanation, Problem, Rank
from ..settings import limits

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["estimates"], responses=PROBLEM_RESPONSES)


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities to None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@router.get("/estimate", response_model=Estimate, summary="One estimate with its band and percentiles")
def estimate(
    request: Request,
    country: Country,
    years: Years,
    company: Company = None,
    confidence: Confidence = 0.8,
    currency: Currency = None,
    as_of: AsOf = None,
    years_max: YearsMax = None,
    population: Population = None,
) -> JSONResponse:
    # The busiest endpoint reads the model off the request: resolving the ModelDep
    # dependency cost it 13% of its requests per second (python -m benchmarks.run).
    core = answering_core(request.app.state.model, population, country)
    asked = years_value(years, years_max)
    e = core.predict(country, asked, company or None, confidence=confidence, currency=currency or None, as_of=as_of or None)
    p = salary_percentiles(core, country, asked, company or None, q=PERCENTILES, currency=currency or None, as_of=as_of or None)
    body = {key: _clean(value) for key, value in e.to_dict().items()}
    body.update(
        {
            "percentiles": {f"p{q}": v for q, v in zip(PERCENTILES, p.values())},
            "pay": core.meta.pay,
            "population": population or None,
            "model_version": core.metadata.version,
            "model_seed": core.metadata.seed,
            "sentence": estimate_sentence(e, core.country_label(e.country)),
        }
    )
    # A plain JSON response: the body is already JSON-safe, so FastAPI's encoder is skipped
    # (the schema above documents it; the tests check the two agree).
    return JSONResponse(body)


@router.get("/rank", response_model=Rank, summary="Where a salary stands: its percentile among ML engineers like this")
def rank(
    model: ModelDep,
    country: Country,
    years: Years,
    salary: Salary,
    company: Company = None,
    currency: Currency = None,
    as_of: AsOf = None,
    years_max: YearsMax = None,
    population: Population = None,
) -> dict:
    answer = model.rank(
        country,
        years_value(years, years_max),
        salary,
        company or None,
        currency=currency or None,
        as_of=as_of or None,
        population=population,
    )
    body = {key: _clean(value) for key, value in answer.to_dict().items()}
    body.update(
        {
            "pay": model.meta.pay,
            "population": population or None,
            "sentence": answer.sentence(),
            "model_version": model.meta.metadata.version,
        }
    )
    return body


@router.get("/explain", response_model=Explanation, summary="The reported figures behind an estimate")
def explain(
    model: ModelDep,
    country: Country,
    years: Years,
    company: Company = None,
    currency: Currency = None,
    as_of: AsOf = None,
    years_max: YearsMax = None,
    population: Population = None,
) -> dict:
    asked = years_value(years, years_max)
    table = model.explain(country, asked, company or None, currency=currency or None, as_of=as_of or None, population=population)
    records = [{key: _clean(value) for key, value in record.items()} for record in table.to_dict("records")]
    parts = band_parts(answering_core(model, population, country), country, asked, company or None, as_of=as_of or None)
    return {"figures": records, "band_parts": parts}


@router.post(
    "/estimates",
    summary="A batch as JSON rows or CSV",
    response_model=Batch,
    responses={
        413: {"model": Problem, "description": f"More than {MAX_BATCH_ROWS:,} rows or {MAX_BATCH_BYTES:,} bytes."},
        415: {"model": Problem, "description": "Neither JSON nor CSV."},
        503: {"model": Problem, "description": "Busy with other batches: retry in a second."},
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "rows": {"type": "array", "items": {"type": "object"}},
                            "confidence": {"type": "number"},
                            "currency": {"type": "string"},
                            "as_of": {"type": "string"},
                            "population": {"type": "string"},
                        },
                    }
                },
                "text/csv": {"schema": {"type": "string"}},
            },
            "required": True,
        }
    },
)
async def estimates(model: ModelDep, request: Request) -> JSONResponse:
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind not in ("text/csv", "application/json"):
        raise ClientError(
            "Send the batch as application/json ({'rows': [...]}) or text/csv.", "content-type", where="header", status=415
        )
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BATCH_BYTES):
        raise ClientError(
            f"The body is larger than {MAX_BATCH_BYTES:,} bytes; send at most {MAX_BATCH_ROWS:,} rows per request.",
            "body",
            where="body",
            status=413,
        )
    body = bytearray()
    try:
        with anyio.fail_after(limits().body_seconds):
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_BATCH_BYTES:
                    raise ClientError(f"The body is larger than {MAX_BATCH_BYTES:,} bytes.", "body", where="body", status=413)
    except TimeoutError:
        raise ClientError(
            f"The body did not arrive within {limits().body_seconds:g} s; send it at once.", "body", where="body", status=408
        ) from None
    # Parsing and scoring run in a worker thread, one batch at a time per process,
    # so the event loop (and /healthz) never waits on pandas; a queue past its
    # bound is told to come back rather than held.
    state = request.app.state
    if state.batches_waiting >= MAX_QUEUED_BATCHES:
        raise ClientError(
            "The server is scoring other batches; retry in a second.",
            "body",
            where="body",
            status=503,
            headers={"Retry-After": "1"},
            kind="busy",
        )
    state.batches_waiting += 1
    try:
        status, payload = await anyio.to_thread.run_sync(
            batch_answer, model, kind, bytes(body), dict(request.query_params), limiter=state.batch_slots
        )
    finally:
        state.batches_waiting -= 1
    if status != 200:
        raise ClientError(payload["msg"], payload["parameter"], where=payload["where"], status=status)
    return JSONResponse(payload)
