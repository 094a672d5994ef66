"""Plots of the data, the training set, the model and its evaluation.

Each function draws on ``ax`` (a new figure when None) and returns the
axes, so the notebook stays short and the same plots are available from
code. Requires matplotlib (``pip install "salarymodel[plots]"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.aging import month_label
from ..data.levels import PARTITION_LEVELS
from ..data.statistics import kind_of

__all__ = [
    "plot_reported_figures",
    "plot_normalisation",
    "plot_training_cells",
    "plot_salary_curves",
    "plot_company_comparison",
    "plot_fidelity",
    "plot_calibration",
    "plot_money_over_time",
]

_COUNTRY_COLOURS = {"US": "tab:blue", "DE": "tab:orange", "IN": "tab:green", "GB": "tab:purple"}


def _axes(ax, size=(8, 4.5)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size, layout="constrained")[1]


def _colour(country) -> str:
    return _COUNTRY_COLOURS.get(country, "tab:gray")


def plot_reported_figures(figures: pd.DataFrame, ax=None):
    """Every reported figure in reference-year USD, by country and level.

    Points are means/percentiles; vertical bars are ranges; hollow markers
    are figures kept out of the model.
    """
    ax = _axes(ax, (9, 5))
    labels = []
    for i, (figure_id, group) in enumerate(figures.groupby("id", sort=True)):
        row = group.iloc[0]
        used = row.get("excluded", "") == ""
        colour = _colour(row["country"])
        for _, r in group.iterrows():
            kind = kind_of(r["statistic"])
            if kind.spans:
                ax.vlines(i, r["value_usd"], r["value_high_usd"], colour, linewidth=4, alpha=0.7)
            else:
                if kind.location_only:
                    ax.scatter(
                        i, r["value_usd"], facecolors=colour if used else "none", edgecolors=colour, marker="o", s=60, zorder=3
                    )
                else:
                    ax.scatter(i, r["value_usd"], color=colour, marker="_", s=200, zorder=3)
        company = f" {row['company']}" if isinstance(row["company"], str) else ""
        labels.append(f"{figure_id} {row['country'] if isinstance(row['country'], str) else '??'} {row['level']}{company}")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("reference-year USD per year (log scale)")
    ax.set_title("Reported figures (dot: mean, dash: percentile, bar: range, hollow: not used)")
    return ax


def plot_normalisation(figures: pd.DataFrame, ax=None):
    """Each figure's first value at three stages: as reported (local money
    of its year), aged to the reference year with the wage index, then in USD."""
    ax = _axes(ax, (9, 4.5))
    first = figures.drop_duplicates("id").reset_index(drop=True)
    x = np.arange(len(first))
    stages = [
        ("as reported (local currency, its year)", first["value"], "o"),
        ("reference year, local currency", first["value"] * first["aging_factor"], "s"),
        ("reference year, USD", first["value_usd"], "^"),
    ]
    for label, values, marker in stages:
        ax.scatter(x, values, marker=marker, label=label, zorder=3)
    for i in x:
        ax.plot([i, i], [min(v.iloc[i] for _, v, _ in stages), max(v.iloc[i] for _, v, _ in stages)], color="gray", linewidth=0.8)
    ax.set_xticks(x, [f"{r.id} {r.currency} {r.year}" for r in first.itertuples()], rotation=90, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("amount per year (log scale)")
    ax.set_title("Normalisation: local money of the figure's year -> reference year -> USD")
    ax.legend(fontsize=8)
    return ax


def plot_training_cells(rows: pd.DataFrame, figures: pd.DataFrame, country: str, ax=None):
    """Synthetic engineers of one country's market by level, with the reported values at each level."""
    ax = _axes(ax)
    market = rows[(rows["country"] == country) & rows["company"].isna()]
    levels = [level for level in PARTITION_LEVELS if (market["level"] == level).any()]
    data = [market.loc[market["level"] == level, "salary_usd"].to_numpy() for level in levels]
    ax.boxplot(data, tick_labels=levels, whis=(10, 90), showfliers=False)
    reported = figures[(figures["country"] == country) & figures["company"].isna() & (figures["excluded"] == "")]
    for position, level in enumerate(levels, start=1):
        for _, r in reported[reported["level"] == level].iterrows():
            values = [r["value_usd"]] + ([r["value_high_usd"]] if kind_of(r["statistic"]).spans else [])
            ax.scatter([position] * len(values), values, color="red", marker="x", zorder=3)
    ax.set_yscale("log")
    ax.set_ylabel("USD per year (log)")
    ax.set_title(f"{country}: synthetic engineers by level (box 25-75%, whiskers 10-90%; x = reported)")
    return ax


# Each band's own opacity: nested bands add up, so the narrowest is the darkest.
_BAND_ALPHA = 0.2


def plot_salary_curves(
    model,
    country: str,
    company: str | None = None,
    *,
    currency: str | None = None,
    confidences=(0.5, 0.8, 0.95),
    max_years: float | None = None,
    ax=None,
):
    """Median salary against years with the bands drawn at several confidences.

    The axis runs over the years the country's figures cover plus five
    (past them the curve is carried on by the measurement model's slope
    prior); pass ``max_years`` to choose. A narrower band is drawn darker,
    and its legend entry shows the shade it has on the plot.
    """
    ax = _axes(ax)
    if max_years is None:
        market = model.tables.support[model.core.cells.index((model.core.resolve_country(country), None))]
        covered = np.flatnonzero(market != 3)  # 3: 'extrapolated'
        max_years = float(min(model_grid_years(covered[-1]) + 5.0, 50.0)) if len(covered) else 30.0
    years = np.linspace(0, max_years, 181)
    frame = pd.DataFrame({"country": country, "years": years, "company": company})
    widest_first = sorted(confidences, reverse=True)
    shown = 0.0  # the opacity the bands drawn so far give a point inside all of them
    for confidence in widest_first:
        band = model.predict_frame(frame, confidence=confidence, currency=currency)
        ax.fill_between(years, band["low"], band["high"], alpha=_BAND_ALPHA, color=_colour(model.core.resolve_country(country)))
        shown = shown + _BAND_ALPHA * (1.0 - shown)
        ax.fill_between(
            [], [], [], alpha=shown, color=_colour(model.core.resolve_country(country)), label=f"{confidence:.0%} band"
        )
    median = model.predict_frame(frame, currency=currency)
    ax.plot(years, median["median"], color="black", label="median")
    ax.set_xlabel("years of experience")
    ax.set_ylabel(f"base salary per year ({median['currency'].iloc[0]})")
    ax.set_title(f"{country}{' - ' + company if company else ''}: estimate and bands")
    ax.legend(fontsize=8)
    return ax


def model_grid_years(index: int) -> float:
    """Years at a point of the serving grid."""
    from ..serving.grid import GRID_STEP

    return index * GRID_STEP


def plot_company_comparison(model, country: str, years: float, *, currency: str | None = None, ax=None):
    """Market and every known employer of a country at one experience level."""
    ax = _axes(ax)
    code = model.core.resolve_country(country)
    names = [None] + model.core.companies[code]
    estimates = [model.predict(code, years, name, currency=currency) for name in names]
    y = np.arange(len(names))
    medians = np.array([e.median for e in estimates])
    ax.errorbar(
        medians,
        y,
        xerr=[medians - [e.low for e in estimates], [e.high for e in estimates] - medians],
        fmt="o",
        capsize=4,
        color=_colour(code),
    )
    ax.set_yticks(y, ["market"] + names[1:])
    ax.set_xlabel(f"base salary per year ({estimates[0].currency}); bars: 80% band")
    ax.set_title(f"{code} at {years:g} years: employers against the market")
    return ax


def plot_fidelity(table: pd.DataFrame, ax=None):
    """Reported statistic against the model's, per figure (log-log)."""
    ax = _axes(ax, (6, 6))
    used = table[table["status"] != "excluded"]
    for status, marker in (("reproduced", "o"), ("not reproduced", "x")):
        part = used[used["status"] == status]
        ax.scatter(part["reported_usd"], part["model_usd"], marker=marker, label=status, c=[_colour(c) for c in part["country"]])
        ranged = part.dropna(subset=["reported_high_usd"])
        ax.scatter(
            ranged["reported_high_usd"], ranged["model_high_usd"], marker=marker, c=[_colour(c) for c in ranged["country"]]
        )
    # Labels alternate above and below their point, so neighbours do not overlap.
    for k, (_, r) in enumerate(used.drop_duplicates("id").sort_values("reported_usd").iterrows()):
        ax.annotate(
            r["id"],
            (r["reported_usd"], r["model_usd"]),
            fontsize=7,
            xytext=(4, 6 if k % 2 == 0 else -10),
            textcoords="offset points",
        )
    low = min(used["reported_usd"].min(), used["model_usd"].min()) * 0.8
    high = max(used["reported_usd"].max(), used["model_usd"].max()) * 1.3
    ax.plot([low, high], [low, high], color="black", linewidth=0.7)
    ax.plot([low, high], [low * 1.1, high * 1.1], color="gray", linewidth=0.5, linestyle="--")
    ax.plot([low, high], [low / 1.1, high / 1.1], color="gray", linewidth=0.5, linestyle="--")
    ax.set_xscale("log")
    ax.set_yscale("log")
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter

    thousands = FuncFormatter(lambda v, _: f"{v / 1000:,.0f}k")  # plain numbers, no 1e6 offset
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(thousands)
        axis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.set_xlabel("reported (reference-year USD)")
    ax.set_ylabel("model, same statistic and cell (USD)")
    ax.set_title("Fidelity (dashed: +-10%)")
    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Line2D([], [], marker="s", linestyle="", color=_colour(c), label=c) for c in sorted(used["country"].dropna().unique())
    ]
    ax.legend(handles=handles, fontsize=8)
    return ax


def plot_calibration(calibration: dict, ax=None):
    """Observed coverage against nominal, overall and per country."""
    ax = _axes(ax, (6, 5))
    levels = calibration["levels"]
    nominal = [levels[k]["nominal"] for k in levels]
    ax.plot([0.4, 1], [0.4, 1], color="black", linewidth=0.7)
    ax.plot(nominal, [levels[k]["overall"] for k in levels], "o-", color="black", label="overall")
    for country in next(iter(levels.values()))["by_country"]:
        ax.plot(
            nominal, [levels[k]["by_country"][country] for k in levels], "s--", color=_colour(country), label=country, alpha=0.8
        )
    ax.set_xlabel("nominal coverage")
    ax.set_ylabel("observed coverage on held-out rows")
    ax.set_title("Calibration")
    ax.legend(fontsize=8)
    return ax


def plot_money_over_time(model, years: float = 5.0, ax=None):
    """Each country's median at ``years``, in the money of every month the
    model can serve, relative to the reference date (1.0); dashed where the
    wage index is projected past its last published value."""
    ax = _axes(ax, (8, 4.5))
    money = model.core.money
    for country in model.core.countries:
        months = range(money.first_month, money.fx_last_month + 1)
        dates, values, projected = [], [], []
        for month in months:
            as_of = f"{month_label(month)}-01"
            try:
                estimate = model.predict(country, years, as_of=as_of)
            except ValueError:  # a country without a wage index: reference money only
                continue
            dates.append(pd.Timestamp(as_of))
            values.append(estimate.median)
            projected.append(estimate.projected)
        if not values:
            continue
        reference = model.predict(country, years, as_of=model.core.reference_date).median
        series = pd.Series(values, index=dates) / reference
        flags = pd.Series(projected, index=dates)
        ax.plot(series[~flags], color=_colour(country), label=f"{country} (published index)")
        if flags.any():
            ax.plot(series[flags], color=_colour(country), linestyle="--", label=f"{country} (projected)")
    ax.axhline(1.0, color="black", linewidth=0.7)
    ax.axvline(pd.Timestamp(model.core.reference_date), color="gray", linewidth=0.7, linestyle=":")
    ax.set_ylabel(f"median at {years:g} years / median on {model.core.reference_date}")
    ax.set_title("Money over time: estimates aged with wage indices (local currency)")
    ax.legend(fontsize=8)
    return ax
