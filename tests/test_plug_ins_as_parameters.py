"""Plug-ins become parameters: the level mix behind an all-levels figure and the count
of "several" sites have priors, and the card shows what the figures moved."""

from __future__ import annotations

import json

import numpy as np
import pytest

from salarymodel.data.figures import load_levels
from salarymodel.training.measurement import LEVEL_EDGE_SD, SEVERAL, SEVERAL_PRIOR, measurement_data


@pytest.fixture(scope="module")
def card(model_dir):
    return json.loads((model_dir / "salary_model.json").read_text())["measurement_model"]


def test_several_is_a_count_with_a_prior_and_a_stated_count_is_not(training_data):
    data = measurement_data(training_data.used_figures(), training_data.levels)
    several = data.ids.index("f11")
    assert np.exp(data.order_log_prior[several]) == pytest.approx(SEVERAL_PRIOR)
    # f11 and f12 are ranked among the same sites: one group, so one k.
    assert data.order_group[several] == data.order_group[data.ids.index("f12")]
    stated = training_data.used_figures().copy()
    stated.loc[stated["id"] == "f11", "group_rank"] = "lowest of 4"
    fixed = measurement_data(stated, training_data.levels)
    assert np.isfinite(fixed.order_log_prior[several]).sum() == 1
    # The lowest of 4 is read lower than the lowest of 3 (a further draw can only go lower).
    assert fixed.order_means[several, 0] < data.order_means[several, 0] < 0


def test_the_card_gives_the_posterior_of_several_beside_its_prior(card):
    found = {item["id"]: item for item in card["several"]}
    assert set(found) == {"f11", "f12"}
    for item in found.values():
        assert [item["prior"][str(k)] for k in SEVERAL] == pytest.approx(SEVERAL_PRIOR)
        assert sum(item["posterior"].values()) == pytest.approx(1.0)
    assert found["f11"]["posterior"] == pytest.approx(found["f12"]["posterior"])  # one group, one k


def test_the_level_mix_is_a_parameter_whose_prior_is_the_levels_table(card):
    shares = load_levels()["share_of_all"].dropna()
    mix = card["level_mix"]
    assert list(mix) == ["entry", "mid", "senior", "lead"]
    for level, value in mix.items():
        # The prior's median sits near the table's share; both intervals are stated.
        assert value["prior"]["median"] == pytest.approx(shares[level], abs=0.02)
        assert value["low_80"] < value["median"] < value["high_80"]
        assert value["prior"]["low_80"] < shares[level] < value["prior"]["high_80"]
    assert sum(value["median"] for value in mix.values()) == pytest.approx(1.0, abs=0.05)


def test_every_hyperparameter_shows_its_prior_beside_its_posterior(card, model_dir):
    for name, value in card["hyperparameters"].items():
        assert {"median", "low_80", "high_80"} <= set(value["prior"]), name
    markdown = (model_dir / "salary_model.md").read_text()
    assert "- tau_source: " in markdown and "; prior " in markdown.split("- tau_source: ")[1].splitlines()[0]
    assert "share of lead in an all-levels figure" in markdown and 'sites behind f11\'s "several"' in markdown


def test_each_countrys_level_edges_are_parameters_around_the_levels_table(card, model_dir):
    table = load_levels()
    assert set(card["level_edges"]) == {"DE", "IN", "US"}
    z = 1.2815515655446004
    for edges in card["level_edges"].values():
        assert list(edges) == ["entry|mid", "mid|senior", "senior|lead"]
        for (name, value), sd in zip(edges.items(), LEVEL_EDGE_SD):
            stated = float(table.loc[name.split("|")[0], "years_max"])
            assert value["prior"]["median"] == stated
            assert value["prior"]["high_80"] - value["prior"]["low_80"] == pytest.approx(2 * z * sd)
            assert value["low_80"] < value["median"] < value["high_80"]
    markdown = (model_dir / "salary_model.md").read_text()
    assert "- years at the senior|lead edge where DE's sites put it: " in markdown


def _reports(data, edges_raw) -> float:
    """The figures' log likelihood with every other parameter at one seeded prior draw."""
    import jax
    import jax.numpy as jnp
    from numpyro import handlers

    from salarymodel.training.measurement import measurement_model

    sizes = (len(data.countries), len(data.units), len(data.employers))

    def reports(arrays, edges_raw):
        model = handlers.substitute(handlers.seed(measurement_model, 3), data={"level_edges_raw": edges_raw})
        return handlers.trace(model).get_trace(arrays, *sizes)["reports"]["fn"].log_factor

    # Compiled once for the test's arrays (run op by op, six calls took 26 s).
    compiled = _COMPILED.setdefault(sizes, jax.jit(reports))
    arrays = {name: jnp.asarray(value) for name, value in data.arrays().items()}
    return float(compiled(arrays, jnp.asarray(edges_raw, dtype=float)))


_COMPILED: dict = {}


def test_a_level_figure_describes_the_years_between_its_own_countrys_sampled_edges(training_data):
    from dataclasses import replace

    data = measurement_data(training_data.used_figures(), training_data.levels)
    entry = data.ids.index("f17")  # Germany's entry-level range: 0 to Germany's entry|mid edge
    assert (data.year_level[entry] == 0).all()
    germany, us = data.countries.index("DE"), data.countries.index("US")
    still = np.zeros((len(data.countries), len(LEVEL_EDGE_SD)))
    german, american = still.copy(), still.copy()
    german[germany, 0] = american[us, 0] = 2.0
    # Each country's edge moves its own figures' likelihood only.
    only_germany = replace(data, use=(data.country == germany).astype(float))
    assert _reports(only_germany, german) != pytest.approx(_reports(only_germany, still), abs=1e-6)
    assert _reports(only_germany, american) == pytest.approx(_reports(only_germany, still), abs=1e-9)
    # With every figure's years fixed as given, the edges no longer enter the likelihood.
    fixed = replace(data, year_level=np.full_like(data.year_level, -1))
    assert _reports(fixed, german) == pytest.approx(_reports(fixed, still), abs=1e-9)


def test_the_docs_quote_the_edges_priors_as_the_code_has_them():
    from pathlib import Path

    from salarymodel.training.measurement import level_bounds

    bounds = level_bounds(load_levels())
    methodology = " ".join((Path(__file__).parents[1] / "docs" / "methodology.md").read_text(encoding="utf-8").split())
    priors = [
        f"{name} `Normal({edge:g}, {sd:g})`" for name, edge, sd in zip(("entry|mid", "mid|senior"), bounds[1:], LEVEL_EDGE_SD)
    ]
    assert all(prior in methodology for prior in priors), priors
    assert f"senior|lead `Normal({bounds[3]:g}, {LEVEL_EDGE_SD[2]:g})` years" in methodology
    assert f"(entry starts at {bounds[0]:g}, lead is drawn up to {bounds[-1]:g} years)" in methodology
