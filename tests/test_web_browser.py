"""The salary page in a real browser, and the server under load.

The server runs as ``salarymodel serve`` in its own process on 127.0.0.1 and a
free port; the browser is Debian's chromium-headless-shell driven by
Playwright (``.ci/run`` installs it). Screenshots are kept in
``tests/output/`` (git-ignored)."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helpers import free_port, start_server

CHROMIUM = "/usr/lib/chromium/chromium-headless-shell"
OUTPUT = Path(__file__).parent / "output"


@pytest.fixture(scope="module")
def server(model_dir):
    process, port = start_server("--model", str(model_dir))
    base = f"http://127.0.0.1:{port}"
    assert json.load(urllib.request.urlopen(f"{base}/readyz", timeout=5)) == {"ready": True}
    yield base
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium-headless-shell (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--disable-background-networking", "--disable-component-update"]
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1000, "height": 1400})
    page = context.new_page()
    page.requested = []
    page.on("request", lambda request: page.requested.append(request.url))
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]")
    yield page
    OUTPUT.mkdir(exist_ok=True)
    context.close()


def _get(url: str) -> dict:
    return json.load(urllib.request.urlopen(url, timeout=10))


def _answered(page, outcome: str = "answered") -> None:
    """Wait until the page's latest question has its answer (or its error)."""
    page.wait_for_selector(f"body[data-state={outcome}]")


def _ask(page, country: str, years: str, **fields: str) -> None:
    page.select_option("#country", country)
    page.fill("#years", years)
    for name, value in fields.items():
        page.fill(f"#{name}", value)
    page.click("#go")
    _answered(page)


RESULT_SECTIONS = ("#answer", "#curve-box", "#ranges-box", "#employers-box", "#figures-box")


def test_the_first_load_shows_the_example_answer(page, model):
    # Nothing pressed: the page answers for Germany at 5 years, every section filled.
    e = model.predict("DE", 5)
    assert page.inner_text("#sentence").startswith("80% of ML engineers in Germany with 5 years of experience")
    assert f"median {e.median:,.0f} EUR" in page.inner_text("#sentence")
    assert all(page.is_visible(section) for section in RESULT_SECTIONS)
    assert page.locator("#ranges-table tbody tr").count() == len(model.ranges("DE"))
    assert not page.is_visible("#population-field")  # the shipped model has no records' populations


def test_the_form_answers_what_predict_answers(page, model, server):
    _ask(page, "DE", "5", as_of="2023-07")
    e = model.predict("DE", 5, as_of="2023-07")
    sentence = page.inner_text("#sentence")
    assert sentence.startswith("80% of ML engineers in Germany with 5 years of experience earn between")
    assert f"{e.low:,.0f} and {e.high:,.0f} EUR; median {e.median:,.0f} EUR" in sentence
    assert "money of 2023-07-01" in sentence
    figures = page.inner_text("#figures tbody")
    assert figures.startswith("f18")
    # Named by the site behind it and the article that quoted it, and as the article published
    # it (not aged into the answer's money).
    assert "TechMinds, quoted by TechMinds (2023)" in figures and "60,000 – 80,000 EUR (2023)" in figures
    # Every term is explained where it appears.
    details = page.inner_text("#details")
    assert "Support: moderate (one reported figure covers these years)" in details and "(listed below)" in details
    assert "differ from one another by about ±" in page.inner_text("#parts")
    page.screenshot(path=str(OUTPUT / "salary-page.png"), full_page=True)
    # Every request the page made went to this server.
    assert page.requested and all(url.startswith(server) for url in page.requested), page.requested


def test_an_offer_shows_its_percentile_and_a_marker_on_the_curve(page, model):
    _ask(page, "DE", "5", salary="70000")
    expected = model.rank("DE", 5, 70_000)
    assert page.inner_text("#rank") == expected.sentence()
    marker = page.locator("#curve polygon.offer")
    assert float(marker.get_attribute("data-percentile")) == pytest.approx(expected.percentile, abs=1e-9)
    assert float(marker.get_attribute("data-salary")) == 70_000
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "salary-page-offer.png"), full_page=True)


@pytest.mark.parametrize(
    ("country", "typed", "amount"), [("DE", "70k", 70_000), ("DE", "70,000", 70_000), ("IN", "14.5 lakh", 1_450_000)]
)
def test_amounts_are_read_as_people_type_them(page, model, country, typed, amount):
    _ask(page, country, "5", salary=typed)
    assert page.inner_text("#rank") == model.rank(country, 5, amount).sentence()


def test_an_amount_that_reads_two_ways_is_refused_in_plain_words(page):
    page.select_option("#country", "DE")
    page.fill("#years", "5")
    page.fill("#salary", "75.000")
    page.click("#go")
    _answered(page, "failed")
    text = page.inner_text("#error")
    assert "75.000" in text and "without the point" in text and "Value error" not in text


def test_every_percentile_is_aligned_as_an_amount(page):
    _ask(page, "DE", "5")
    aligns = page.eval_on_selector_all(
        "#percentiles td, #percentiles th", "cells => cells.map(c => getComputedStyle(c).textAlign)"
    )
    assert len(aligns) == 10 and set(aligns) == {"right"}, aligns


def test_a_range_of_years_answers_what_python_answers(page, model):
    _ask(page, "IN", "3-5", company="TCS")
    e = model.predict("IN", (3, 5), "TCS")
    sentence = page.inner_text("#sentence")
    assert "ML engineers in India with 3-5 years of experience at Tata Consultancy Services" in sentence
    # Rupees are grouped in lakh on the page (the JSON keeps plain numbers).
    from salarymodel.serving.words import amount

    assert f"median {amount(e.median, 'INR')} INR" in sentence and amount(e.median, "INR").count(",") >= 2
    cells = page.locator("#percentiles tbody td").all_inner_texts()
    assert cells[2] == amount(model.percentiles("IN", (3, 5), "TCS", q=(50,))[50], "INR")
    assert page.text_content("#curve text.axis-title >> nth=0") == "INR per year"


def test_the_address_carries_the_question_and_the_back_button_returns(page, model, server):
    _ask(page, "DE", "5")
    _ask(page, "US", "10")
    assert "country=US" in page.url and "years=10" in page.url
    page.go_back()
    _answered(page)
    assert page.input_value("#country") == "DE" and page.input_value("#years") == "5"
    assert "in Germany with 5 years" in page.inner_text("#sentence")
    # A shared address answers the same question on its first load.
    page.goto(server + "/?country=IN&years=3-5&company=TCS&salary=1200000")
    page.wait_for_selector("body[data-ready=true]")
    assert page.input_value("#company") == "TCS"
    assert f"median {model.predict('IN', (3, 5), 'TCS').median:,.0f}".replace(",", "") in page.inner_text("#sentence").replace(
        ",", ""
    )
    assert page.inner_text("#rank") == model.rank("IN", (3, 5), 1_200_000, "TCS").sentence()


def test_the_employer_comparison_is_one_request(page, model):
    page.requested.clear()
    _ask(page, "IN", "4")
    batches = [url for url in page.requested if "/api/v1/estimates" in url]
    singles = [url for url in page.requested if "/api/v1/estimate?" in url]
    assert len(batches) == 1 and len(singles) == 1, page.requested
    employers = model.known()[[c["country"] for c in model.known()].index("IN")]["employers"]
    rows = page.locator("#employers-table tbody tr")
    assert rows.count() == 1 + len(employers)
    assert rows.nth(1).inner_text().startswith(employers[0])


def test_the_curve_is_drawn_with_the_expected_points(page, model):
    _ask(page, "US", "10")
    points = page.get_attribute("#curve polyline", "points").split()
    assert len(points) == 31  # years 0..30
    ys = [float(p.split(",")[1]) for p in points]
    assert all(b <= a for a, b in zip(ys, ys[1:]))  # SVG y falls as the median rises: never falls with years
    dot = page.locator("#curve circle")
    assert float(dot.get_attribute("data-median")) == pytest.approx(model.predict("US", 10).median, rel=1e-9)
    assert page.locator("#employers-table tbody tr").count() == 2  # the market and TikTok
    assert page.text_content("#curve text.axis-title >> nth=0") == "USD per year"
    # The salary axis is marked at round amounts (it was marked at quarters of the top: 57k, 114k, ...).
    ticks = [float(v) for v in page.eval_on_selector_all("#curve text[data-value]", "ts => ts.map(t => t.dataset.value)")]
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert ticks[0] == 0 and 3 <= len(ticks) <= 5 and min(abs(mantissa - m) for m in (1, 2, 2.5, 5)) < 1e-9
    assert all(t == pytest.approx(i * step) for i, t in enumerate(ticks))


def test_a_bad_input_shows_its_error_and_nothing_of_the_last_answer(page):
    _ask(page, "IN", "3")
    page.fill("#years", "70")
    page.click("#go")
    _answered(page, "failed")
    assert page.inner_text("#error").startswith("years:")
    assert not any(page.is_visible(section) for section in RESULT_SECTIONS)
    # India's answer is gone, not just hidden.
    for part in (
        "#sentence",
        "#details",
        "#rank",
        "#parts",
        "#curve",
        "#ranges-table tbody",
        "#employers-table tbody",
        "#figures tbody",
    ):
        assert page.text_content(part) == "", part
    page.screenshot(path=str(OUTPUT / "salary-page-error.png"))


@pytest.mark.parametrize("width", [320, 375, 390, 430])
def test_usable_by_keyboard_and_at_phone_width(browser, server, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]")
    page.select_option("#country", "IN")  # the longest amounts (INR) and the most employers
    page.fill("#salary", "1500000")
    page.focus("#years")
    page.keyboard.press("Control+A")
    page.keyboard.type("3-5")
    page.keyboard.press("Enter")  # submits the form from the keyboard
    _answered(page)
    # Measured with every section loaded: the figures and ranges tables are the widest parts.
    assert all(page.is_visible(section) for section in RESULT_SECTIONS) and page.is_visible("#rank")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    # Nor inside a table's own box: every table shows all its columns at this width.
    assert page.evaluate("[...document.querySelectorAll('.table-box')].every((b) => b.scrollWidth <= b.clientWidth)")
    # Chart text as the eye sees it: the font size times the SVG's scale on screen.
    smallest = page.evaluate("""() => {
        const svg = document.getElementById('curve');
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        return Math.min(...[...svg.querySelectorAll('text')].map(
            (t) => parseFloat(getComputedStyle(t).fontSize) * scale));
    }""")
    assert smallest >= 11
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"salary-page-phone-{width}.png"), full_page=True)
    context.close()


def test_mixed_load_for_ten_seconds_gives_no_5xx_and_the_right_numbers(server, model):
    expected = {years: model.predict("IN", years, "TCS").median for years in range(0, 20)}
    failures, answered, counts = [], {"ok": 0, "bad": 0}, threading.Lock()
    stop = time.time() + 10

    def client(index: int) -> None:
        while time.time() < stop:
            years = index % 20
            try:
                if index % 3 == 0:
                    body = json.dumps(
                        {"rows": [{"country": "IN", "years": years, "company": "TCS"}, {"country": "XX", "years": 1}]}
                    ).encode()
                    request = urllib.request.Request(
                        server + "/api/v1/estimates", data=body, headers={"content-type": "application/json"}
                    )
                    rows = json.load(urllib.request.urlopen(request, timeout=10))["rows"]
                    good = rows[0]["median"] == pytest.approx(expected[years], rel=1e-9) and rows[1]["error"]
                elif index % 3 == 1:
                    got = _get(f"{server}/api/v1/estimate?country=IN&years={years}&company=TCS")["median"]
                    good = got == pytest.approx(expected[years], rel=1e-9)
                else:
                    try:
                        urllib.request.urlopen(f"{server}/api/v1/estimate?country=IN&years=-{years + 1}", timeout=10)
                        good = False
                    except urllib.error.HTTPError as error:
                        good = error.code == 422
                with counts:
                    answered["ok" if good else "bad"] += 1
                if not good:
                    failures.append(index)
            except (urllib.error.URLError, ConnectionError, OSError) as error:
                failures.append(repr(error))
            index += 8

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(client, range(8)))
    assert failures == [] and answered["ok"] > 100, (failures[:5], answered)


def test_the_serve_command_refuses_a_bad_model_with_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel.cli.console", "serve", "--model", str(tmp_path), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr and re.search("model card", done.stderr)


@pytest.mark.parametrize("width", [1280, 375])
def test_labels_line_up_words_stay_whole_and_text_reads_from_the_left(browser, server, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]")
    _ask(page, "US", "10")
    # Each row of the form: its labels' first lines start at one height (help text sits below).
    tops = page.eval_on_selector_all(
        "form label:not([hidden])",
        "els => els.map(e => [Math.round(e.getBoundingClientRect().top), e.getBoundingClientRect().left])",
    )
    rows: dict[int, list[float]] = {}
    for top, left in tops:
        rows.setdefault(top, []).append(left)
    if width == 1280:
        assert len(rows) == 2 and all(len(lefts) >= 3 for lefts in rows.values()), tops
    # No one-word cell breaks inside its word ("senior" as "senio/r").
    broken = page.evaluate("""() => [...document.querySelectorAll('#figures td, #ranges-table td, #employers-table td')]
        .filter((td) => td.textContent.trim() && !/\\s/.test(td.textContent.trim()))
        .filter((td) => { const r = document.createRange(); r.selectNodeContents(td);
                          return new Set([...r.getClientRects()].map((b) => Math.round(b.top))).size > 1; })
        .map((td) => td.textContent)""")
    assert broken == []
    if width == 1280:  # text columns left, amounts right
        aligns = page.eval_on_selector_all("#figures tr:first-child td", "cells => cells.map(c => getComputedStyle(c).textAlign)")
        assert aligns[:4] == ["left"] * 4 and aligns[4:] == ["right", "right"], aligns
    context.close()


def test_an_employers_answer_speaks_of_the_employer(page):
    _ask(page, "US", "5", company="TikTok")
    assert "TikTok's median itself is known to" in page.inner_text("#details")
    assert "and TikTok's median is itself known only to about" in page.inner_text("#parts")
    assert "at TikTok in each level's years. They describe pay at TikTok;" in page.inner_text("#ranges-note")
    _ask(page, "US", "5", company="")
    assert "The market's median itself" in page.inner_text("#details") and "They describe the market;" in page.inner_text(
        "#ranges-note"
    )
