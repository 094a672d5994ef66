"""Who is told that an employer is unknown: Python callers by a warning at their own
line; the command line (tests/test_batch_options.py) and the web app by their answers only,
each deciding so itself."""

from __future__ import annotations

import inspect
import warnings

from fastapi.testclient import TestClient

import salarymodel.errors
from salarymodel.errors import UnknownEmployerWarning


def test_the_warning_points_at_the_callers_line_through_the_module_level_api(model):
    import salarymodel

    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.simplefilter("always")
        salarymodel.percentiles("IN", 5, company="Microsfot")
    mine = [w for w in caught if issubclass(w.category, UnknownEmployerWarning)]
    assert mine and all(w.filename == __file__ for w in mine)


def test_the_web_app_answers_without_the_warning_and_python_still_gets_it(model):
    from salarymodel.web.app import create_app

    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.simplefilter("always")
        client = TestClient(create_app(model))
        answer = client.get("/api/v1/estimate", params={"country": "IN", "years": 5, "company": "Microsfot"}).json()
        assert answer["company_known"] is False
        assert not [w for w in caught if issubclass(w.category, UnknownEmployerWarning)]


def test_the_errors_module_holds_no_warning_policy():
    source = inspect.getsource(salarymodel.errors)
    assert "_getframe" not in source and "warnings.warn" not in source
