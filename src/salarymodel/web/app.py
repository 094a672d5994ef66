"""The JSON API and the salary page: an ASGI app (FastAPI, run by uvicorn).

FastAPI because it writes the OpenAPI schema and its docs page from the
endpoints' own signatures and response models (:mod:`.schemas`), and
validates query types before our code runs; it sits on Starlette, whose speed
the benchmark measures against a bare endpoint on the same stack. The app is
stateless: each worker loads the model once, so more workers or machines
behind any load balancer scale it.

The endpoints live in routers (:mod:`.routes`). Every client mistake is a 4xx
with a JSON body naming the parameter (:mod:`.problems`): a library
:class:`~salarymodel.errors.ParameterError` says which parameter itself, and
the web layer's own refusals raise :class:`~.problems.ClientError`.
"""

import contextlib
import warnings
from collections.abc import AsyncIterator, Sequence
from importlib import resources

import anyio
import anyio.to_thread
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..errors import ModelIntegrityError, ModelVersionError, UnknownEmployerWarning
from .batch import MAX_BATCH_BYTES, MAX_BATCH_ROWS, PERCENTILES
from .params import card_of
from .problems import install_handlers
from .reference import REFERENCE_CSP, reference_page
from .routes import estimates, health, market
from .settings import MODEL_THREADS, allowed_hosts

__all__ = ["create_app", "app_factory", "MAX_BATCH_ROWS", "MAX_BATCH_BYTES", "PERCENTILES"]


@contextlib.asynccontextmanager
async def _few_model_threads(app: FastAPI) -> AsyncIterator[None]:
    """At most :data:`MODEL_THREADS` requests compute at once (the others wait their turn
    without holding the interpreter), so the event loop, where ``/healthz`` answers, is
    never starved by dozens of threads taking turns at the GIL."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = MODEL_THREADS
    yield


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

    Notes
    -----
    The process's warning filters ignore :class:`~salarymodel.errors.UnknownEmployerWarning`
    from then on: the app's answers say when an employer is unknown.
    """
    # Every answer says when an employer is unknown (company_known, the page's note): the
    # Python warning would only repeat it in the server's log, once per request.
    warnings.filterwarnings("ignore", category=UnknownEmployerWarning)
    if model is None:
        from ..api import default_model

        model = default_model()
    # FastAPI's Swagger UI and ReDoc pages load their scripts from a CDN: /docs is ours.
    app = FastAPI(
        lifespan=_few_model_threads,
        title="salarymodel",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        description="Machine Learning Engineer base salaries by country, experience and employer, with "
        "an honest band and the reported figures behind every estimate.",
    )
    app.state.model = model
    app.state.card = card_of(model)
    app.state.batch_slots = anyio.CapacityLimiter(1)
    app.state.batches_waiting = 0
    if allowed_hosts is not None and "*" not in allowed_hosts:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    install_handlers(app)
    for group in (estimates, market, health):
        app.include_router(group.router)

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
