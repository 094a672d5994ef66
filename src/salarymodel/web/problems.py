"""Client errors: one exception type for the web layer's own refusals, and the
handlers that turn it and the library's parameter errors into JSON answers.

A library error names its parameter itself (:class:`~salarymodel.errors.ParameterError`),
so the answer says which query field or body part is at fault without reading
the message. Any other exception is a server bug and is left to be one.
"""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ..errors import ParameterError, ParameterTypeError
from .schemas import Problem

__all__ = ["ClientError", "field_words", "problem_response", "install_handlers", "PROBLEM_RESPONSES"]


class ClientError(Exception):
    """A request the server refuses: its status, where the problem is, and why.

    Parameters
    ----------
    message : str
        What is wrong and how to fix it.
    parameter : str
        The query parameter, header or body part at fault.
    where : str, default="query"
        'query', 'header' or 'body'.
    status : int, default=422
    headers : dict, default=None
        Extra response headers (``Retry-After`` for a busy server).
    kind : str, default="value_error"
    """

    def __init__(
        self,
        message: str,
        parameter: str,
        where: str = "query",
        status: int = 422,
        headers: dict[str, str] | None = None,
        kind: str = "value_error",
    ) -> None:
        super().__init__(message)
        self.message, self.parameter, self.where, self.status = message, parameter, where, status
        self.headers, self.kind = headers, kind


# The library names its parameters as a Python caller passed them ("The 'years' parameter
# of predict"); a web client filled in fields.
_PARAMETER_OF = re.compile(r"\bThe '([A-Za-z_]+)' parameter(?: of [A-Za-z_.]+)?")


def field_words(message: str) -> str:
    """``message`` speaking of the request's fields, not of a function's parameters."""
    return _PARAMETER_OF.sub(r"The '\1' field", message)


def problem_response(error: ClientError) -> JSONResponse:
    """The JSON answer to a refused request: ``{"detail": [{"loc", "msg", "type"}]}``."""
    return JSONResponse(
        {"detail": [{"loc": [error.where, error.parameter], "msg": error.message, "type": error.kind}]},
        status_code=error.status,
        headers=error.headers,
    )


def install_handlers(app: FastAPI) -> None:
    """Answer client errors with their JSON body; everything else stays a server error."""

    @app.exception_handler(ClientError)
    async def _client(request: Request, error: ClientError) -> JSONResponse:
        return problem_response(error)

    @app.exception_handler(ParameterError)
    async def _value(request: Request, error: ParameterError) -> JSONResponse:
        return problem_response(ClientError(field_words(str(error)), error.parameter))

    @app.exception_handler(ParameterTypeError)
    async def _type(request: Request, error: ParameterTypeError) -> JSONResponse:
        return problem_response(ClientError(field_words(str(error)), error.parameter, kind="type_error"))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        # A field's own reader (70k, 80%) words its refusal for people: pydantic's prefix goes.
        details = [
            {
                "loc": [str(part) for part in e.get("loc", ())],
                "msg": str(e.get("msg", "")).removeprefix("Value error, "),
                "type": e.get("type", ""),
            }
            for e in error.errors()
        ]
        return JSONResponse({"detail": details}, status_code=422)


# For the OpenAPI schema: what a client error looks like.
PROBLEM_RESPONSES: dict[int | str, dict] = {
    422: {"model": Problem, "description": "A parameter is malformed or out of range; the body names it and why."}
}
