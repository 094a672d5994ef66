"""Sites as published: each site or survey behind the figures has one offset.

The figures file names, beside the article that quoted each figure, the site
that produced it (``source_detail``): TechMinds' three German ranges are one
site, f03/f04 one unnamed site, and f14/f15 one site's comparison of TikTok
with its own market figure.
"""

from __future__ import annotations

import numpy as np
import pytest

from salarymodel.training.measurement import measurement_data
from salarymodel.training.state_file import training_state


def _unit_of(training_data) -> dict[str, str]:
    data = measurement_data(training_data.used_figures(), training_data.levels)
    return {figure: data.units[unit] for figure, unit in zip(data.ids, data.unit)}


@pytest.mark.parametrize("figures", [("f17", "f18", "f19"), ("f03", "f04"), ("f14", "f15"), ("f05", "f06", "f07")])
def test_the_figures_of_one_site_share_one_offset(training_data, figures):
    units = _unit_of(training_data)
    assert len({units[f] for f in figures}) == 1, {f: units[f] for f in figures}


def test_different_sites_keep_their_own_offsets(training_data):
    units = _unit_of(training_data)
    assert len({units[f] for f in ("f01", "f03", "f05", "f14", "f20")}) == 5


def test_tiktok_is_measured_against_its_own_sites_market_figure(model):
    # f14 and f15 are one site's comparison: the site's offset cancels, so the served ratio of
    # TikTok to the market is the comparison's (200,151 / 109,310), inside the effect's interval.
    reported = 200_151 / 109_310
    effect = (
        training_state(model).posterior.draws["tau_employer"][:, None] * training_state(model).posterior.draws["employer_raw"]
    )
    column = training_state(model).posterior.data.employers.index(("US", "TikTok"))
    low, high = np.exp(np.quantile(effect[:, column], [0.1, 0.9]))
    served = model.predict("US", 5, "TikTok", as_of="2023-07-01").median / model.predict("US", 5, as_of="2023-07-01").median
    assert low <= reported <= high
    assert low <= served <= high and served == pytest.approx(reported, rel=0.05)


def test_explain_and_the_api_name_the_site_and_the_article_that_quoted_it(model):
    from fastapi.testclient import TestClient

    from salarymodel.web.app import create_app

    table = model.explain("US", 1).set_index("id")
    assert table.loc["f20", "site"] == "Indeed" and table.loc["f20", "publisher"] == "upGrad"
    assert set(table.loc[["f03", "f04"], "site"]) == {"unnamed site of f03 and f04"}
    assert table.loc["f01", "site"] == ""  # the article names no site for it
    figures = TestClient(create_app(model)).get("/api/v1/explain", params={"country": "DE", "years": 4}).json()["figures"]
    assert [(f["id"], f["site"], f["publisher"]) for f in figures] == [("f18", "TechMinds", "TechMinds")]
