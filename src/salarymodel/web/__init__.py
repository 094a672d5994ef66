"""Serving over HTTP: a JSON API and one page, for people and tools that do not write Python.

Takes in a loaded model (the same one ``predict()`` uses, by the same rule).
Gives out the ASGI app (:func:`.app.create_app`), run by ``salarymodel
serve``. Imports serving, data and the module-level API; installed with the
``web`` extra (FastAPI, uvicorn).
"""
