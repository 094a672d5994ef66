"""The large figures file the benchmark trains on (benchmarks/replicate.py)."""

from __future__ import annotations

import pytest

from benchmarks.replicate import VALUE_JITTER, replicate_figures, write_replicated_figures
from salarymodel.data.figures import load_figures


def test_replicated_file_has_the_asked_statistics_and_loads(tmp_path):
    path = write_replicated_figures(tmp_path / "many.csv", 500, seed=3)
    figures = load_figures(path)
    assert len(figures) == 500
    assert not figures.duplicated(["id", "statistic"]).any()
    shipped = load_figures()
    assert figures.iloc[: len(shipped)]["id"].tolist() == shipped["id"].tolist()
    copies = figures.iloc[len(shipped) :]
    assert copies["source_detail"].str.fullmatch(r"site\d+").all()


def test_copies_move_each_figure_by_one_factor_within_the_jitter():
    rows = replicate_figures(200, seed=1)
    shipped = {(r["id"], r["statistic"]): r for r in replicate_figures(36)}
    factors: dict[str, set] = {}
    for row in rows[36:]:
        original = shipped[(row["id"].split("x")[0], row["statistic"])]
        factor = float(row["value"]) / float(original["value"])
        assert abs(factor - 1) <= VALUE_JITTER + 1e-4
        factors.setdefault(row["id"], set()).add(round(factor, 3))
        if original["group"]:
            assert row["group"] == f"{original['group']} ({row['source_detail']})"
    # The statistics of one figure (a p25, p75 and p90 reported together) keep their order.
    assert all(len(f) == 1 for f in factors.values())


def test_same_seed_same_file_and_bad_size_refused():
    assert replicate_figures(80, seed=2) == replicate_figures(80, seed=2)
    assert replicate_figures(80, seed=2) != replicate_figures(80, seed=3)
    with pytest.raises(ValueError, match="at least 1"):
        replicate_figures(0)
    assert len(replicate_figures(1)) == 1
