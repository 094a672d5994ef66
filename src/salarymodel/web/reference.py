"""The API reference page at ``/docs``, rendered from the app's OpenAPI schema.

FastAPI's own ``/docs`` loads Swagger UI's script and styles from a CDN (and a
favicon from another host): script from elsewhere running on the API's
origin, and a blank page offline. This page is plain HTML written by the
server from the same schema, with no script and nothing fetched from
anywhere, served under a Content-Security-Policy that forbids both.
"""

from __future__ import annotations

from html import escape

__all__ = ["REFERENCE_CSP", "reference_page"]

# No script, no frames, nothing loaded from anywhere; the page's one inline style block only.
REFERENCE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
    "code{background:#f3f3f3;padding:0 .2em}table{border-collapse:collapse;width:100%}"
    "td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;vertical-align:top}"
    "h2{margin-top:2rem;font-size:1.1rem}"
)


def _parameters(operation: dict) -> str:
    rows = []
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        kind = schema.get("type") or " or ".join(s.get("type", "") for s in schema.get("anyOf", []) if s.get("type"))
        rows.append(
            f"<tr><td><code>{escape(parameter['name'])}</code></td><td>{escape(parameter.get('in', ''))}</td>"
            f"<td>{'required' if parameter.get('required') else 'optional'}</td><td>{escape(kind)}</td>"
            f"<td>{escape(parameter.get('description', '') or schema.get('description', ''))}</td></tr>"
        )
    if not rows:
        return ""
    return "<table><tr><th>parameter</th><th>in</th><th></th><th>type</th><th>meaning</th></tr>" + "".join(rows) + "</table>"


def reference_page(schema: dict) -> str:
    """The whole page: title, description, then each path's operations with their
    summary, description, parameters, request body types and response codes."""
    info = schema.get("info", {})
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(info.get('title', 'API'))} API</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(info.get('title', 'API'))} {escape(str(info.get('version', '')))} API</h1>",
        f"<p>{escape(info.get('description', ''))}</p>",
        "<p>The machine-readable schema is at <a href='/openapi.json'><code>/openapi.json</code></a>.</p>",
    ]
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            parts.append(f"<h2><code>{escape(method.upper())} {escape(path)}</code>: {escape(operation.get('summary', ''))}</h2>")
            if operation.get("description"):
                parts.append(f"<p>{escape(operation['description'])}</p>")
            parts.append(_parameters(operation))
            body = operation.get("requestBody", {}).get("content", {})
            if body:
                parts.append("<p>Body: " + ", ".join(f"<code>{escape(t)}</code>" for t in body) + "</p>")
            codes = ", ".join(
                f"{escape(code)} {escape(r.get('description', ''))}" for code, r in operation.get("responses", {}).items()
            )
            parts.append(f"<p>Responses: {codes}</p>")
    parts.append("</body></html>")
    return "".join(parts)
