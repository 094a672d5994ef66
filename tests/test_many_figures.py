"""Thousands of figures: every per-figure step keeps its meaning and its
words stay short (speed is in the benchmark)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtri

from benchmarks.replicate import write_replicated_figures
from salarymodel import load_model
from salarymodel.data.sources import source_units
from salarymodel.data.training_data import training_data
from salarymodel.training.fidelity import fidelity_table


@pytest.fixture(scope="module")
def many_figures(tmp_path_factory):
    path = write_replicated_figures(tmp_path_factory.mktemp("many") / "figures.csv", 3000, seed=0)
    return training_data(path)


def _one_lognormal(frame: pd.DataFrame, levels: np.ndarray) -> np.ndarray:
    """A stand-in model: the same log-normal pay for every row, so most figures miss it."""
    return np.tile(np.exp(11.5 + 0.3 * ndtri(levels)), (len(frame), 1))


def test_a_reason_names_a_few_overlapping_figures_and_counts_the_rest(many_figures):
    table = fidelity_table(_one_lognormal, many_figures, ("DE", "IN", "US"))
    assert len(table) == 3000
    disagree = table[table["reason"].str.startswith("sources disagree", na=False)]
    assert len(disagree) > 0
    for reason, figure_id in zip(disagree["reason"], disagree["id"]):
        named = reason.split("overlapping figures ")[1].split(" report")[0]
        shown = named.split(" and ")[0].split(", ")
        assert len(shown) <= 8 and figure_id not in shown
        if " more" in named:
            assert int(named.split(" and ")[1].split()[0].replace(",", "")) > 0


@pytest.mark.slow
def test_a_card_keeps_at_most_its_fidelity_rows_and_still_loads(tmp_path, monkeypatch):
    from salarymodel import pipeline as train_module

    # The card keeps the largest fidelity errors only (a survey of 100,000 figures must
    # still give a card that loads); the model data keeps every figure.
    monkeypatch.setattr(train_module, "CARD_FIDELITY_ROWS", 10)
    result = train_module.train(out=tmp_path / "model")
    assert result.card["metrics"]["fidelity"]["figures_omitted"] == len(result.model.fidelity()) - 10
    loaded = load_model(tmp_path / "model")
    assert len(loaded.fidelity()) == len(result.model.fidelity())
    assert loaded.predict("US", 5).median == result.model.predict("US", 5).median


def test_the_summary_names_a_few_figures_and_gives_one_line_per_reason(model, model_dir):
    import json

    from salarymodel.train import TrainingResult

    card = json.loads((model_dir / "salary_model.json").read_text())
    # A survey excludes many figures for the same reason: two copies of each excluded figure.
    excluded = card["figures"]["excluded"]
    excluded += [{"id": f"{item['id']}x0", "reason": item["reason"]} for item in excluded]
    summary = TrainingResult(model, card, pd.DataFrame(), 1.0).summary()
    used = [line for line in summary.splitlines() if line.startswith("Figures used")]
    assert len(used) == 1 and " more (all in the model card)." in used[0]
    # The fidelity line counts the used statistics and says how many were excluded.
    counts = card["metrics"]["fidelity"]["summary"]
    used_statistics = counts["statistics"] - counts["excluded"]
    assert f"{counts['reproduced']} of the {used_statistics} used ({counts['not_reproduced']} not" in summary
    assert f"{counts['excluded']} excluded, below" in summary
    # One line per reason, not one per excluded figure.
    lines = [line for line in summary.splitlines() if line.startswith("Excluded")]
    assert len(lines) == 2 and "f16, f16x0" in lines[0] and "f27, f27x0" in lines[1]


def test_a_model_card_keeps_the_largest_fidelity_errors_and_counts_the_rest(model):
    from salarymodel.evidence.report import fidelity_section

    table = model.fidelity()
    whole = fidelity_section(table)
    kept = fidelity_section(table, max_figures=5)
    assert kept["summary"] == whole["summary"]  # the summary counts every statistic
    assert len(kept["figures"]) == 5 and kept["figures_omitted"] == len(table) - 5 and whole["figures_omitted"] == 0

    def worst(record):
        return max(abs(record["relative_error"] or 0), abs(record["relative_error_high"] or 0))

    smallest_kept = min(worst(r) for r in kept["figures"])
    kept_ids = {(r["id"], r["statistic"]) for r in kept["figures"]}
    assert all(worst(r) <= smallest_kept for r in whole["figures"] if (r["id"], r["statistic"]) not in kept_ids)
    order = [(r["id"], r["statistic"]) for r in whole["figures"]]
    assert sorted(kept_ids, key=order.index) == [(r["id"], r["statistic"]) for r in kept["figures"]]


def test_the_command_line_names_twelve_sources_and_counts_the_rest(model):
    from salarymodel.cli.predict import format_estimate

    estimate = model.predict("US", 5)._replace(sources=tuple(f"s{i}" for i in range(30)))
    line = format_estimate(estimate).splitlines()[1]
    assert "sources: s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11 and 18 more (--explain lists them);" in line
    few = format_estimate(model.predict("US", 5)).splitlines()[1]
    assert "more" not in few and ", ".join(model.predict("US", 5).sources) in few


def test_refit_folds_partition_the_labels_and_keep_single_ones_alone():
    from salarymodel.evidence.validation import MAX_REFITS, refit_folds

    few = [f"f{i}" for i in range(MAX_REFITS)]
    assert refit_folds(few, seed=0) == [(label, [label]) for label in few]
    many = [f"f{i}" for i in range(5 * MAX_REFITS + 3)]
    folds = refit_folds(many, seed=0)
    assert len(folds) == MAX_REFITS and folds == refit_folds(many, seed=0) != refit_folds(many, seed=1)
    members = [label for _, fold in folds for label in fold]
    assert sorted(members) == sorted(many)  # every label held out exactly once
    assert {len(fold) for _, fold in folds} <= {5, 6}
    assert all(fold == sorted(fold, key=many.index) for _, fold in folds)
    assert folds[0][0] == f"fold 1 of {MAX_REFITS}"


def test_the_peer_baseline_names_a_few_peers_and_counts_the_rest(many_figures):
    from salarymodel.evidence.validation import peer_baseline

    table = peer_baseline(many_figures)
    f01 = table[table["id"] == "f01"].iloc[0]
    shown, more = f01["peers"].split(" and ")
    assert len(shown.split(",")) == 12 and "f01" not in shown.split(",") and int(more.split()[0].replace(",", "")) > 0
    # The baseline is the geometric mean of every other unit's value in the cell, however many.
    used = many_figures.used_figures()
    cell = used[(used["country"] == "US") & used["company"].isna() & (used["level"] == "all") & (used["statistic"] == "mean")]
    others = cell[source_units(cell) != source_units(cell[cell["id"] == "f01"]).iloc[0]]
    assert f01["baseline_usd"] == pytest.approx(float(np.exp(np.log(others["value_usd"]).mean())), rel=1e-12)
