"""The JSON API and the salary page: an ASGI app (FastAPI, run by uvicorn).

FastAPI because it writes the OpenAPI schema and its docs page from the
endpoints' own signatures, and validates query types before our code runs;
it sits on Starlette, whose speed the benchmark measures against a bare
endpoint on the same stack. The app is stateless: each worker loads the
model once, so more workers or machines behind any load balancer scale it.

Every client mistake is a 4xx with a JSON body naming the parameter: our
own validation's messages (the same words as :func:`salarymodel.predict`)
become 422, an oversized body 413. Nothing a client sends gives a 500.
"""


import math
import re
from collections.abc import Sequence
from importlib import resources
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..errors import ModelIntegrityError, ModelVersionError
from ..serving.words import estimate_sentence
from .batch import MAX_BATCH_BYTES, MAX_BATCH_ROWS, MAX_QUEUED_BATCHES, PERCENTILES, batch_answer
from .reference import REFERENCE_CSP, reference_page
from .settings import allowed_hosts, limits

__all__ = ["create_app", "app_factory", "MAX_BATCH_ROWS", "MAX_BATCH_BYTES", "PERCENTILES"]

_PARAMETER = re.compile(r"'([a-z_]+)' (?:parameter|option)")
_ERRORS = {422: {"description": "A parameter is malformed or out of range; the body names it and why."}}


def _problem(message: str, where: str = "query", parameter: str | None = None, status: int = 422) -> JSONResponse:
    """A JSON error naming the parameter (read from our message when not given)."""
    if parameter is None:
        found = _PARAMETER.search(message)
        parameter = found.group(1) if found else "request"
    return JSONResponse({"detail": [{"loc": [where, parameter], "msg": message, "type": "value_error"}]},
                        status_code=status)


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities to None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _years_value(text: str, years_max: float | None) -> float | tuple[float, float]:
    """The ``years`` query (a number or a range such as '3-5') and ``years_max``, as ``predict`` takes them."""
    from ..serving._ranges import parse_years_text

    try:
        value = parse_years_text(text)
    except ValueError:
        raise ValueError(f"The 'years' parameter must be years of experience such as 5, or a range such as 3-5. "
                         f"Got {text[:40]!r} instead.") from None
    if years_max is None:
        return value
    if isinstance(value, tuple):
        raise ValueError(f"The 'years_max' parameter is given, and 'years' is already a range ({text[:40]!r}): give "
                         "one or the other.")
    return value, years_max


def create_app(model=None, *, allowed_hosts: Sequence[str] | None = None) -> FastAPI:
    """The app serving ``model`` (by default the model :func:`salarymodel.predict` uses).

    Parameters
    ----------
    model : SalaryModel, default=None
        Loaded once; the default model when None.
    allowed_hosts : sequence of str, default=None
        Host header values answered (others get 400); None answers any.

    Returns
    -------
    fastapi.FastAPI
    """
    if model is None:
        from ..api import default_model

        model = default_model()
    # FastAPI's Swagger UI and ReDoc pages load their scripts from a CDN: /docs is ours.
    app = FastAPI(title="salarymodel", version=__version__, docs_url=None, redoc_url=None,
                  description="Machine Learning Engineer base salaries by country, experience and employer, with "
                              "an honest band and the reported figures behind every estimate.")
    app.state.model = model
    app.state.batch_slots = anyio.CapacityLimiter(1)
    app.state.batches_waiting = 0
    if allowed_hosts is not None and "*" not in allowed_hosts:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                   for e in error.errors()]
        return JSONResponse({"detail": details}, status_code=422)

    @app.exception_handler(ValueError)
    async def _value(request: Request, error: ValueError) -> JSONResponse:
        return _problem(str(error))

    @app.exception_handler(TypeError)
    async def _type(request: Request, error: TypeError) -> JSONResponse:
        return _problem(str(error))

    def estimate_body(country, years, company, confidence, currency, as_of) -> dict:
        e = model.predict(country, years, company, confidence=confidence, currency=currency, as_of=as_of)
        p = model.percentiles(country, years, company, q=PERCENTILES, currency=currency, as_of=as_of)
        body = {key: _clean(value) for key, value in e.to_dict().items()}
        body.update({"percentiles": {f"p{q}": v for q, v in zip(PERCENTILES, p.values())}, "pay": "base",
                     "model_version": model.metadata.get("version"), "model_seed": model.metadata.get("seed"),
                     "sentence": estimate_sentence(e, model.country_label(e.country))})
        return body

    Country = Annotated[str, Query(description="Country name or ISO code: Germany, DE, USA, india")]
    Years = Annotated[str, Query(description="Years of experience, 0 to 50, or a range such as 3-5")]
    YearsMax = Annotated[float | None, Query(description="The range's high end (years is then its low end)")]
    Company = Annotated[str | None, Query(description="Employer; unknown ones give the market")]
    Confidence = Annotated[float, Query(description="Band coverage in (0, 1)")]
    Currency = Annotated[str | None, Query(description="ISO 4217 code; the country's own when empty")]
    AsOf = Annotated[str | None, Query(description="Date whose money to use, YYYY-MM-DD or YYYY-MM; today when empty")]

    @app.get("/api/v1/estimate", responses=_ERRORS, summary="One estimate with its band and percentiles")
    def estimate(country: Country, years: Years, company: Company = None, confidence: Confidence = 0.8,
                 currency: Currency = None, as_of: AsOf = None, years_max: YearsMax = None) -> JSONResponse:
        years = _years_value(years, years_max)
        # A plain JSON response: the body is already JSON-safe, so FastAPI's encoder is skipped.
        return JSONResponse(estimate_body(country, years, company or None, confidence, currency or None,
                                          as_of or None))

    @app.get("/api/v1/rank", responses=_ERRORS,
             summary="Where a salary stands: its percentile among ML engineers like this")
    def rank(country: Country, years: Years,
             salary: Annotated[float, Query(description="Annual base salary, in currency (the country's own when "
                                                        "empty)")],
             company: Company = None, currency: Currency = None, as_of: AsOf = None,
             years_max: YearsMax = None) -> JSONResponse:
        years = _years_value(years, years_max)
        answer = model.rank(country, years, salary, company or None, currency=currency or None, as_of=as_of or None)
        body = {key: _clean(value) for key, value in answer.to_dict().items()}
        body.update({"pay": "base", "sentence": answer.sentence(), "model_version": model.metadata.get("version")})
        return JSONResponse(body)

    @app.get("/api/v1/ranges", responses=_ERRORS,
             summary="Pay ranges for job postings: minimum, midpoint and maximum per level")
    def ranges(country: Country, company: Company = None, currency: Currency = None, as_of: AsOf = None,
               target: Annotated[float, Query(description="Percentile of the midpoint")] = 50.0,
               spread_low: Annotated[float, Query(description="Percentile of the minimum")] = 25.0,
               spread_high: Annotated[float, Query(description="Percentile of the maximum")] = 75.0,
               levels: Annotated[str | None, Query(description="Year ranges of your levels, e.g. 0-3,3-7,7-12 "
                                                           "(default: entry, mid, senior, lead)")] = None) -> dict:
        from ..serving.pay_ranges import parse_levels, schema_org

        answers = model.ranges(country, company or None, levels=parse_levels(levels or None), target=target,
                               spread=(spread_low, spread_high),
                               currency=currency or None, as_of=as_of or None)
        return {"pay": "base", "target": target, "spread": [spread_low, spread_high],
                "ranges": [answer.to_dict() for answer in answers],
                "schema_org": [schema_org(answer) for answer in answers]}

    @app.get("/api/v1/curve", responses=_ERRORS, summary="Percentiles of base salary by years of experience")
    def curve(country: Country, company: Company = None, currency: Currency = None, as_of: AsOf = None,
              years_to: Annotated[int, Query(ge=1, le=50, description="Last year of the curve")] = 30) -> dict:
        table = model.curve(country, company or None, years=list(range(years_to + 1)), q=PERCENTILES,
                            currency=currency or None, as_of=as_of or None)
        wide = table.pivot(index="years", columns="percentile", values="salary")
        first = table.iloc[0]
        return {"country": first["country"], "company": first["company"], "currency": first["currency"],
                "as_of": first["as_of"], "pay": "base",
                "points": [{"years": float(y), **{f"p{int(q)}": float(row[q]) for q in wide.columns}}
                           for y, row in wide.iterrows()]}

    @app.get("/api/v1/explain", responses=_ERRORS, summary="The reported figures behind an estimate")
    def explain(country: Country, years: Years, company: Company = None, currency: Currency = None,
                as_of: AsOf = None, years_max: YearsMax = None) -> dict:
        years = _years_value(years, years_max)
        table = model.explain(country, years, company or None, currency=currency or None, as_of=as_of or None)
        records = [{k: _clean(v) if not (isinstance(v, float) and math.isnan(v)) else None for k, v in r.items()}
                   for r in table.to_dict("records")]
        return {"figures": records, "band_parts": model.band_parts(country, years, company or None)}

    @app.post("/api/v1/estimates", summary="A batch as JSON rows or CSV",
              responses={**_ERRORS, 413: {"description": f"More than {MAX_BATCH_ROWS:,} rows or "
                                                          f"{MAX_BATCH_BYTES:,} bytes."}},
              openapi_extra={"requestBody": {"content": {
                  "application/json": {"schema": {"type": "object", "properties": {
                      "rows": {"type": "array", "items": {"type": "object"}}, "confidence": {"type": "number"},
                      "currency": {"type": "string"}, "as_of": {"type": "string"}}}},
                  "text/csv": {"schema": {"type": "string"}}}, "required": True}})
    async def estimates(request: Request) -> Response:
        kind = request.headers.get("content-type", "").split(";")[0].strip()
        if kind not in ("text/csv", "application/json"):
            return _problem("Send the batch as application/json ({'rows': [...]}) or text/csv.", where="header",
                            parameter="content-type", status=415)
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BATCH_BYTES):
            return _problem(f"The body is larger than {MAX_BATCH_BYTES:,} bytes; send at most {MAX_BATCH_ROWS:,} "
                            "rows per request.", where="body", parameter="body", status=413)
        body = bytearray()
        try:
            with anyio.fail_after(limits().body_seconds):
                async for chunk in request.stream():
                    body += chunk
                    if len(body) > MAX_BATCH_BYTES:
                        return _problem(f"The body is larger than {MAX_BATCH_BYTES:,} bytes.", where="body",
                                        parameter="body", status=413)
        except TimeoutError:
            return _problem(f"The body did not arrive within {limits().body_seconds:g} s; send it at once.", where="body",
                            parameter="body", status=408)
        # Parsing and scoring run in a worker thread, one batch at a time per process,
        # so the event loop (and /healthz) never waits on pandas; a queue past its
        # bound is told to come back rather than held.
        if app.state.batches_waiting >= MAX_QUEUED_BATCHES:
            return JSONResponse({"detail": [{"loc": ["body"], "msg": "The server is scoring other batches; retry "
                                             "in a second.", "type": "busy"}]}, status_code=503,
                                headers={"Retry-After": "1"})
        app.state.batches_waiting += 1
        try:
            status, payload = await anyio.to_thread.run_sync(
                batch_answer, model, kind, bytes(body), dict(request.query_params), limiter=app.state.batch_slots)
        finally:
            app.state.batches_waiting -= 1
        if status != 200:
            return _problem(payload["msg"], where=payload["where"], parameter=payload["parameter"], status=status)
        return JSONResponse(payload)

    @app.get("/api/v1/known", summary="Countries, their currencies and employers")
    def known() -> dict:
        currencies = model.money.currencies_at(model.money.fx_last_month)  # those with a rate now
        return {"countries": model.known(), "currencies": currencies}

    @app.get("/api/v1/model", summary="The model card's summary")
    def model_summary() -> dict:
        return {"version": model.metadata.get("version"), "seed": model.metadata.get("seed"),
                "rows": model.metadata.get("rows"), "countries": list(model.countries),
                "reference_year": model.reference_year, "pay": "base",
                "band": "80% of ML engineers like this (country, years, employer) earn between low and high: the "
                        "spread within the market plus the uncertainty of the market's median, each counted once"}

    @app.get("/healthz", summary="The process is up")
    def healthz() -> dict:
        return {"ok": True}

    @app.get("/readyz", summary="The model is loaded and answers")
    def readyz() -> dict:
        return {"ready": model.predict(model.countries[0], 5).median > 0}

    static = resources.files("salarymodel.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(static.joinpath("index.html").read_text(encoding="utf-8"))

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def reference() -> HTMLResponse:
        return HTMLResponse(reference_page(app.openapi()), headers={"Content-Security-Policy": REFERENCE_CSP})

    return app


def app_factory() -> FastAPI:
    """For ``uvicorn --factory``: each worker loads the model once, by the usual rule."""
    try:
        return create_app(allowed_hosts=allowed_hosts())
    except (ModelIntegrityError, ModelVersionError) as error:
        raise SystemExit(f"error: {error}") from None
