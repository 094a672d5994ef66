"""The JSON API: same numbers as predict(), errors that name the
parameter, limits, the OpenAPI schema."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from salarymodel.web.app import MAX_BATCH_BYTES, MAX_BATCH_ROWS, create_app


@pytest.fixture(scope="module")
def client(model):
    return TestClient(create_app(model))


def test_estimate_equals_predict_with_percentiles(client, model):
    body = client.get("/api/v1/estimate", params={"country": "Germany", "years": 5, "as_of": "2023-07-01"}).json()
    e = model.predict("Germany", 5, as_of="2023-07-01")
    assert (body["low"], body["median"], body["high"]) == pytest.approx((e.low, e.median, e.high), rel=1e-12)
    assert body["percentiles"]["p10"] == pytest.approx(e.low, rel=1e-9) and body["pay"] == "base"
    assert body["currency"] == "EUR" and body["as_of"] == "2023-07-01" and body["support"] == "moderate"
    assert body["sentence"].startswith("80% of ML engineers in Germany with 5 years of experience earn between")
    assert body["model_version"] == model.core.metadata.version


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"country": "Narnia", "years": 5}, "country"),
        ({"country": "DE", "years": -1}, "years"),
        ({"country": "DE", "years": "abc"}, "years"),
        ({"country": "DE", "years": 5, "confidence": 1.5}, "confidence"),
        ({"country": "DE", "years": 5, "currency": "XXX"}, "currency"),
        ({"country": "DE", "years": 5, "as_of": "2040-01"}, "as_of"),
        ({"years": 5}, "country"),
    ],
)
def test_bad_input_is_422_naming_the_parameter(client, params, parameter):
    response = client.get("/api/v1/estimate", params=params)
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"][-1] == parameter and detail["msg"]


def test_curve_gives_percentiles_by_years(client, model):
    body = client.get("/api/v1/curve", params={"country": "US", "as_of": "2023-07-01", "years_to": 10}).json()
    assert [p["years"] for p in body["points"]] == list(range(11))
    five = body["points"][5]
    assert five["p50"] == pytest.approx(model.predict("US", 5, as_of="2023-07-01").median, rel=1e-9)
    assert five["p10"] < five["p25"] < five["p50"] < five["p75"] < five["p90"]


def test_explain_lists_the_figures_and_the_bands_parts(client):
    body = client.get("/api/v1/explain", params={"country": "DE", "years": 4}).json()
    assert [f["id"] for f in body["figures"]] == ["f18"] and body["band_parts"]["within_sd"] > 0


def test_batch_as_json_and_csv_with_per_row_errors(client, model):
    rows = [{"country": "DE", "years": 5}, {"country": "XX", "years": 1}, {"country": "IN", "years": 3, "company": "TCS"}]
    body = client.post("/api/v1/estimates", json={"rows": rows, "as_of": "2023-07-01"}).json()
    assert (body["scored"], body["bad"]) == (2, 1) and "country" in body["rows"][1]["error"]
    assert body["rows"][0]["median"] == pytest.approx(model.predict("DE", 5, as_of="2023-07-01").median)
    # Each row names the employer its company resolved to (null: the market, or a bad row).
    assert [row["employer"] for row in body["rows"]] == [None, None, "Tata Consultancy Services"]
    csv = "country,years,company\nDE,5,\nUS,abc,\n"
    body = client.post("/api/v1/estimates", content=csv, headers={"content-type": "text/csv"}).json()
    assert (body["scored"], body["bad"]) == (1, 1) and "years" in body["rows"][1]["error"]


def test_batch_limits_are_413(client):
    too_many = {"rows": [{"country": "DE", "years": 1}] * (MAX_BATCH_ROWS + 1)}
    assert client.post("/api/v1/estimates", json=too_many).status_code == 413
    big = "country,years\n" + "DE,1\n" * (MAX_BATCH_BYTES // 5)
    assert client.post("/api/v1/estimates", content=big, headers={"content-type": "text/csv"}).status_code == 413


@pytest.mark.parametrize(
    ("content", "kind", "status"),
    [
        (b"{not json", "application/json", 422),
        (b'{"rows": 5}', "application/json", 422),
        (b"\xff\xfe", "text/csv", 422),
        (b"x", "application/xml", 415),
    ],
)
def test_malformed_batches_are_client_errors_never_500(client, content, kind, status):
    response = client.post("/api/v1/estimates", content=content, headers={"content-type": kind})
    assert response.status_code == status and response.json()["detail"][0]["msg"]


def test_known_model_and_health(client, model):
    known = client.get("/api/v1/known").json()
    assert [c["country"] for c in known["countries"]] == list(model.core.countries) and "EUR" in known["currencies"]
    assert client.get("/api/v1/model").json()["countries"] == list(model.core.countries)
    assert client.get("/healthz").json() == {"ok": True} and client.get("/readyz").json() == {"ready": True}


def test_openapi_lists_every_endpoint_with_parameters_and_errors(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/estimate",
        "/api/v1/curve",
        "/api/v1/explain",
        "/api/v1/estimates",
        "/api/v1/known",
        "/api/v1/model",
        "/healthz",
        "/readyz",
    ):
        assert path in paths, path
    names = {p["name"] for p in paths["/api/v1/estimate"]["get"]["parameters"]}
    assert names == {"country", "years", "years_max", "company", "confidence", "currency", "as_of", "population"}
    assert "422" in paths["/api/v1/estimate"]["get"]["responses"]
    assert "413" in paths["/api/v1/estimates"]["post"]["responses"]
    assert client.get("/docs").status_code == 200


def test_the_api_reference_page_loads_nothing_from_elsewhere(client):
    # FastAPI's Swagger UI would load its script from a CDN onto the API's origin.
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "<script" not in page.text and "cdn" not in page.text.lower() and "//" not in page.text.replace("http-equiv", "")
    for name in ("GET /api/v1/estimate", "POST /api/v1/estimates", "as_of", "confidence", "422"):
        assert name in page.text, name
    assert client.get("/redoc").status_code == 404


def test_the_page_and_its_files_come_from_the_package(client):
    page = client.get("/").text
    assert "<form" in page and "/static/app.js" in page and "http" not in page.replace("http-equiv", "")
    assert client.get("/static/app.js").status_code == 200 and client.get("/static/style.css").status_code == 200


def test_a_deeply_nested_or_wide_json_body_is_a_422_naming_the_problem(client):
    deep = b'{"rows": [' + b"[" * 5000 + b"]" * 5000 + b"]}"
    response = client.post("/api/v1/estimates", content=deep, headers={"content-type": "application/json"})
    assert response.status_code == 422
    # Rows that each invent a field would make an N x N frame: refused by name instead.
    rows = [{"country": "DE", "years": 5, f"extra{i}": 1} for i in range(2000)]
    response = client.post("/api/v1/estimates", json={"rows": rows})
    assert response.status_code == 422 and "'extra0'" in response.text
    response = client.post("/api/v1/estimates", json={"rows": [{"country": "DE", "years": {"a": 1}}]})
    assert response.status_code == 422 and "'years'" in response.text
    good = client.post("/api/v1/estimates", json={"rows": [{"country": "DE", "years": 5}, {"country": "US", "years": 3}]})
    assert good.status_code == 200 and good.json()["scored"] == 2


def test_the_csv_batch_reads_rows_as_the_command_line_does(client, model_dir, tmp_path):
    import subprocess
    import sys

    import pandas as pd

    text = b'country,years,company\nUS,3,Acme, Inc\nDE,5,\n\nIN,4,"Quoted, Co"\r\nXX,2,\n'
    body = client.post("/api/v1/estimates", content=text, headers={"content-type": "text/csv"}).json()
    # One unquoted comma makes one bad row, not a shifted table; a blank line is a bad row at its own line.
    assert [(r["line"], bool(r["error"])) for r in body["rows"]] == [(2, True), (3, False), (4, True), (5, False), (6, True)]
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(text)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "salarymodel",
            "predict",
            "--model",
            str(model_dir),
            "--input",
            str(source),
            "--output",
            str(target),
        ],
        capture_output=True,
        timeout=120,
    )
    written = pd.read_csv(target, keep_default_na=False)
    assert [r["error"] for r in body["rows"]] == written["error"].tolist()
    assert [r["median"] for r in body["rows"]][1] == pytest.approx(float(written["median"][1]), abs=0.01)
    twice = client.post("/api/v1/estimates", content=b"country,years,years\nDE,5,6\n", headers={"content-type": "text/csv"})
    assert twice.status_code == 422 and "['years'] more than once" in twice.text


def test_a_range_of_years_works_in_every_endpoint_as_in_predict(client, model):
    # years=3-5 and years_max both make a range, as predict's (3, 5) does.
    expected = model.predict("DE", (3, 5), as_of="2023-07-01")
    for params in ({"years": "3-5"}, {"years": "3", "years_max": 5}):
        body = client.get("/api/v1/estimate", params={"country": "DE", "as_of": "2023-07-01", **params}).json()
        assert body["median"] == pytest.approx(expected.median, rel=1e-12) and body["years_max"] == 5
        assert "with 3-5 years of experience" in body["sentence"]
        figures = client.get("/api/v1/explain", params={"country": "DE", **params}).json()["figures"]
        assert {f["id"] for f in figures} == set(expected.sources)
    both = client.get("/api/v1/estimate", params={"country": "DE", "years": "3-5", "years_max": 6})
    assert both.status_code == 422 and both.json()["detail"][0]["loc"][-1] == "years_max"
    text = client.get("/api/v1/estimate", params={"country": "DE", "years": "three"})
    assert text.status_code == 422 and text.json()["detail"][0]["loc"][-1] == "years"


def test_rank_answers_as_python_does(client, model):
    params = {"country": "Germany", "years": 5, "salary": 70000, "as_of": "2023-07-01"}
    body = client.get("/api/v1/rank", params=params).json()
    answer = model.rank("Germany", 5, 70000, as_of="2023-07-01")
    assert body["percentile"] == pytest.approx(answer.percentile, abs=1e-9) and body["currency"] == "EUR"
    assert body["sentence"] == answer.sentence() and "in Germany with 5 years" in body["sentence"]
    assert body["compa_ratio"] == pytest.approx(answer.compa_ratio) and body["pay"] == "base"
    ranged = client.get("/api/v1/rank", params={**params, "years": "3-5"}).json()
    assert ranged["percentile"] == pytest.approx(model.rank("DE", (3, 5), 70000, as_of="2023-07-01").percentile)


@pytest.mark.parametrize("salary", ["-1", "0", "abc", "nan"])
def test_a_bad_salary_is_422_naming_salary(client, salary):
    response = client.get("/api/v1/rank", params={"country": "DE", "years": 5, "salary": salary})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "salary"


@pytest.mark.parametrize(
    ("country", "years", "company"), [("DE", "5", None), ("US", "1", None), ("IN", "3-5", "TCS"), ("IN", "3", "Microsfot")]
)
def test_the_api_and_the_command_line_say_the_same_sentence(client, model_dir, country, years, company):
    import subprocess
    import sys

    params = {"country": country, "years": years, "as_of": "2023-07-01", **({"company": company} if company else {})}
    body = client.get("/api/v1/estimate", params=params).json()
    options = [item for key, value in params.items() for item in (f"--{key.replace('_', '-')}", value)]
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel", "predict", "--model", str(model_dir), *options],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.splitlines()[0] == body["sentence"]


def test_rupees_read_in_lakh_in_words_and_plain_in_json(client):
    body = client.get("/api/v1/estimate", params={"country": "IN", "years": 5, "as_of": "2023-07-01"}).json()
    assert isinstance(body["median"], float)
    from salarymodel.serving.words import amount

    assert f"median {amount(body['median'], 'INR')} INR" in body["sentence"]
    assert amount(1_423_388, "INR") == "14,23,388" and amount(123_456_789, "INR") == "12,34,56,789"
    assert amount(99_999, "INR") == "99,999" and amount(1_423_388, "USD") == "1,423,388"
    rank = client.get("/api/v1/rank", params={"country": "IN", "years": 5, "salary": 1_200_000}).json()
    assert rank["sentence"].startswith("12,00,000 INR is about the")


def test_every_endpoint_declares_its_answer_and_answers_as_declared(client):
    from salarymodel.web import schemas

    paths = client.get("/openapi.json").json()["paths"]
    for path, methods in paths.items():
        for method, operation in methods.items():
            answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
            assert "$ref" in answer, (method, path)  # a named response model, not an untyped object
            if path.startswith("/api/v1"):
                assert "#/components/schemas/Problem" in str(operation["responses"]["422"]), (method, path)
    # Each answer validates against its declared model (the estimate and the batch skip
    # FastAPI's encoder for speed, so this is what keeps them and their schema together).
    asked = {
        "/api/v1/estimate": (schemas.Estimate, {"country": "IN", "years": "3-5", "company": "Microsfot"}),
        "/api/v1/rank": (schemas.Rank, {"country": "DE", "years": 5, "salary": 1}),
        "/api/v1/explain": (schemas.Explanation, {"country": "US", "years": 1}),
        "/api/v1/ranges": (schemas.Ranges, {"country": "IN", "company": "TCS"}),
        "/api/v1/curve": (schemas.Curve, {"country": "DE"}),
        "/api/v1/known": (schemas.Known, {}),
        "/api/v1/model": (schemas.ModelSummary, {}),
        "/healthz": (schemas.Health, {}),
        "/readyz": (schemas.Ready, {}),
    }
    assert set(asked) | {"/api/v1/estimates"} == set(paths)
    for path, (declared, params) in asked.items():
        declared.model_validate(client.get(path, params=params).json(), strict=False)
    batch = client.post(
        "/api/v1/estimates", json={"rows": [{"country": "DE", "years": 5, "salary": 70000}, {"country": "XX", "years": 1}]}
    ).json()
    schemas.Batch.model_validate(batch)


def test_a_server_bug_is_not_passed_off_as_a_client_error(model):
    # Only errors that name a parameter are the client's: any other ValueError is a 500.
    def broken(*args, **kwargs):
        raise ValueError("a bug")

    app = create_app(model)
    core = type(
        "BrokenCore", (), {"__getattr__": lambda self, name: getattr(model.core, name), "predict": staticmethod(broken)}
    )()
    app.state.model = type(
        "Broken", (), {"__getattr__": lambda self, name: getattr(model, name), "core": core, "predict": staticmethod(broken)}
    )()
    answer = TestClient(app, raise_server_exceptions=False).get("/api/v1/estimate", params={"country": "DE", "years": 5})
    assert answer.status_code == 500


def test_the_model_summary_reads_the_served_folders_card_by_its_sections(model_dir, model):
    from salarymodel import load_model
    from salarymodel.serving.model_io.card import ModelCard
    from salarymodel.serving.model_io.folder import read_card

    card = ModelCard.from_dict(read_card(model_dir))
    body = TestClient(create_app(load_model(model_dir))).get("/api/v1/model").json()
    assert body["created_at"] == card.training.created_at and body["figures_used"] == card.data.used
    assert {item["id"] for item in body["figures_excluded"]} == {"f16", "f27"}
    assert body["held_out_coverage"]["0.8"] == card.evaluation.coverage(0.8)["overall"]
    assert 0.7 < body["held_out_coverage"]["0.8"] < 0.9
    # A model without its folder (unpickled, as on a Dask worker) has no card: the model file's facts, and nulls.
    import pickle

    unpickled = pickle.loads(pickle.dumps(model))
    bare = TestClient(create_app(unpickled)).get("/api/v1/model").json()
    assert unpickled.folder is None and bare["created_at"] is None and bare["seed"] == model.core.metadata.seed


def test_a_refusal_speaks_of_the_field_not_of_a_function(client):
    # The page shows this message under the form: a person filled in a field.
    answer = client.get("/api/v1/estimate", params={"country": "DE", "years": -1})
    assert answer.status_code == 422
    detail = answer.json()["detail"][0]
    assert detail["loc"] == ["query", "years"] and detail["msg"].startswith("The 'years' field must")
    assert "parameter of" not in detail["msg"]
