"""The reported figures file and its validating loader."""

from __future__ import annotations

import pandas as pd
import pytest

from salarymodel import FiguresError
from salarymodel.data.figures import (
    exclusion_reasons,
    group_rank,
    level_edges,
    load_figures,
    load_levels,
)
from salarymodel.data.levels import level_for_years
from salarymodel.data.shipped import raw_data_file


def test_shipped_file_holds_every_reference_figure_once():
    figures = load_figures()
    assert sorted(figures["id"].unique()) == [f"f{i:02d}" for i in range(1, 28)]
    assert figures.loc[figures["id"] == "f02", "statistic"].tolist() == ["p25", "p75", "p90"]
    assert set(figures["country"].dropna()) == {"US", "DE", "IN"}
    assert figures.loc[figures["id"] == "f27", "country"].isna().all()


def test_lakh_style_figures_are_stored_as_plain_numbers():
    figures = load_figures().set_index("id")
    assert figures.at["f21", "value"] == 795_677
    assert (figures.at["f22", "value"], figures.at["f22", "value_high"]) == (1_462_000, 2_244_000)


def test_lowest_and_highest_site_means_are_ranked_in_the_data():
    figures = load_figures().set_index("id")
    # The article says "several": how many is the model's parameter, not a number typed in.
    assert (figures.at["f11", "group_rank"], figures.at["f12", "group_rank"]) == ("lowest of several", "highest of several")
    assert figures.at["f11", "group"] == figures.at["f12", "group"]
    assert figures["group_rank"].drop(["f11", "f12"]).isna().all()
    assert group_rank("lowest of 3") == (-1, 3) and group_rank("highest of 12") == (1, 12)
    assert group_rank("highest of several") == (1, 0)
    assert group_rank(None) is None


def test_range_coverage_assumption_is_data_not_code():
    figures = load_figures().set_index("id")
    assert figures.at["f04", "coverage"] == 0.5
    assert figures.at["f05", "coverage"] == 0.8


def test_total_pay_and_countryless_figures_are_flagged_with_reasons():
    figures = load_figures()
    reasons = exclusion_reasons(figures).set_axis(figures["id"])
    assert "total compensation" in reasons["f16"]
    assert "no country" in reasons["f27"]
    assert (reasons.drop(["f16", "f27"]) == "").all()


def test_levels_map_to_years_and_all_mix_sums_to_one():
    levels = load_levels()
    assert [level_for_years(y, level_edges(levels)) for y in (0, 2.9, 3, 6.5, 7, 11.9, 12, 40)] == [
        "entry",
        "entry",
        "mid",
        "mid",
        "senior",
        "senior",
        "lead",
        "lead",
    ]
    assert levels.loc[["entry", "mid", "senior", "lead"], "share_of_all"].sum() == pytest.approx(1.0)


def test_payscale_mid_career_keeps_its_own_years():
    figures = load_figures().set_index("id")
    assert (figures.at["f05", "years_min"], figures.at["f05", "years_max"]) == (5, 10)
    assert figures.at["f18", "years_min"] == 3  # the level's default


@pytest.mark.parametrize(
    ("row", "column", "value", "expected"),
    [
        (0, "currency", "XXQ", "line 2, column 'currency'"),
        (5, "value_high", "60000", "a range's low must be below its high"),
        (0, "value", "-5", "line 2, column 'value': must be an annual salary between 1 and 1e+12"),
        (0, "level", "intern", "line 2, column 'level'"),
        (3, "id", "", "line 5, column 'id'"),
        (4, "id", "f01", "duplicate figure 'f01'"),
        (5, "coverage", "1.5", "line 7, column 'coverage'"),
        (0, "country", "XX", "line 2, column 'country'"),
        (0, "statistic", "p200", "line 2, column 'statistic'"),
        (0, "years_min", "-3", "line 2, column 'years_min'"),
        (12, "group_rank", "lowest of 1", "line 14, column 'group_rank': must be 'lowest of K'"),
        (0, "group_rank", "highest of 3", "line 2, column 'group_rank': needs a 'group'"),
    ],
)
def test_bad_rows_are_reported_with_line_column_and_value(edited_figures, row, column, value, expected):
    path = edited_figures({(row, column): value})
    with pytest.raises(FiguresError) as caught:
        load_figures(path)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems
    assert str(path) in str(caught.value)


def test_every_problem_is_listed_not_only_the_first(edited_figures):
    path = edited_figures({(0, "currency"): "???", (1, "level"): "guru"})
    with pytest.raises(FiguresError) as caught:
        load_figures(path)
    assert len(caught.value.problems) == 2


def test_missing_required_column_is_named(tmp_path):
    path = tmp_path / "figures.csv"
    pd.read_csv(raw_data_file("reported_figures.csv")).drop(columns=["currency"]).to_csv(path, index=False)
    with pytest.raises(FiguresError, match="currency"):
        load_figures(path)
