"""The model card: facts about a trained model, as JSON and as Markdown."""

from __future__ import annotations

import datetime as dt
import platform
from dataclasses import dataclass, fields, is_dataclass
from importlib import metadata
from typing import Any

from ..words import one_line

__all__ = ["CardData", "CardEvaluation", "CardTraining", "ModelCard", "library_versions", "plain_markdown", "render_markdown"]


_LIBRARIES = ("scikit-learn", "numpy", "pandas", "joblib", "scipy", "currencyconverter", "pycountry")


@dataclass(frozen=True)
class CardTraining:
    """How the model was made: the package version, when, the seed, rows and time."""

    version: str
    created_at: str
    seed: int
    rows: int
    seconds: float | None


@dataclass(frozen=True)
class CardData:
    """What it was trained on: countries, currencies, the figures used and those left out (with why)."""

    countries: list[str]
    currencies: list[str]
    used: list[str]
    excluded: list[dict[str, str]]


@dataclass(frozen=True)
class CardEvaluation:
    """How it did: band coverage per nominal level on held-out engineers, and each figure's fidelity."""

    calibration: dict[str, dict[str, Any]]
    fidelity: dict[str, Any]
    validation: dict[str, Any] | None = None  # written by ``train --validate`` only

    def coverage(self, nominal: float) -> dict[str, Any]:
        """The coverage row of one nominal level (0.8: overall, by country, by level, mean width)."""
        return self.calibration[str(float(nominal))]


@dataclass(frozen=True)
class ModelCard:
    """A model card's named sections, read by attribute (the JSON file keeps its layout).

    ``money``, ``money_over_time`` and ``measurement_model`` stay the card's own
    mappings; ``measurement_model`` is None only in a card an earlier release's
    moment model wrote.
    """

    training: CardTraining
    data: CardData
    money: dict[str, Any]
    money_over_time: dict[str, Any] | None
    measurement_model: dict[str, Any] | None
    evaluation: CardEvaluation
    libraries: dict[str, str]

    @classmethod
    def from_dict(cls, card: dict[str, Any]) -> ModelCard:
        """The sections of a card as :func:`salarymodel.train.train` writes it."""
        return cls(
            training=CardTraining(
                card["package"]["version"], card["created_at"], card["seed"], card["rows"], card.get("training_seconds")
            ),
            data=CardData(
                list(card["countries"]),
                list(card["currencies"]),
                list(card["figures"]["used"]),
                list(card["figures"]["excluded"]),
            ),
            money=card["money"],
            money_over_time=card.get("money_over_time"),
            measurement_model=card.get("measurement_model") or None,
            evaluation=CardEvaluation(
                card["metrics"]["calibration"]["levels"],
                card["metrics"]["fidelity"],
                card["metrics"].get("validation") if isinstance(card["metrics"].get("validation"), dict) else None,
            ),
            libraries=dict(card["libraries"]),
        )


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries a model depends on."""
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


# What the band means.
_LIMITS = [
    "- Past the last year a country's figures cover, the curve is what the measurement model's prior and "
    "posterior say: it never falls and levels off (past 12 years, where the sites' levels end, the prior "
    "lets the median rise about 11% in all to 30 years), and its uncertainty widens with the distance.",
    "",
    "## What the band means",
    "An 80% band means: 80% of ML engineers like this (country, years, employer) earn between its ends "
    "(base salary). It is the posterior predictive interval of one engineer's pay under the measurement "
    "model of the sources (a median curve per country, a spread among engineers, each site's "
    "heavy-tailed offset, employer effects, an unknown bias all sites share), so the spread among engineers "
    "and what the figures leave unknown about the market are each counted once. The median's own interval "
    "is the posterior of the market's median.",
    "",
]


def several_text(item: dict[str, Any]) -> str:
    """One figure's count of "several" sites: each count's prior and posterior weight."""
    shown = ", ".join(f"{k}: {item['prior'][k]:.0%} -> {item['posterior'][k]:.0%}" for k in item["prior"])
    return f'sites behind {plain_markdown(item["id"])}\'s "several", prior -> posterior: {shown}'


def real_growth_text(item: dict[str, Any]) -> str:
    """A country's real growth of pay over consumer prices, and the aging of its oldest figures."""
    growth, aging = item["growth_per_year"], item["aging"]
    factor = aging["factor"]
    return (
        f"{item['country']} pay's real growth over consumer prices: {growth['median']:.1%} a year (80% "
        f"interval {growth['low_80']:.1%} to {growth['high_80']:.1%}; prior {item['prior']}); a figure of "
        f"{aging['from']} in the money of {aging['to']}: x{factor['median']:.3f} (80% interval "
        f"{factor['low_80']:.3f}-{factor['high_80']:.3f}; prices alone x{aging['prices']:.3f}; "
        f"{plain_markdown(item['series'])})"
    )


def _measurement_lines(section: dict[str, Any] | None) -> list[str]:
    """The measurement model's part of the card: diagnostics, hyperparameters, slopes, checks."""
    if not section:
        return []
    diagnostics = section["diagnostics"]
    lines = [
        "",
        "## Measurement model (posterior)",
        f"- {section['library']} {section['sampler']}, {section['settings']['chains']} chains x "
        f"{section['settings']['samples']} draws after {section['settings']['warmup']} warm-up, seed "
        f"{section['seed']}: max split R-hat {diagnostics['r_hat_max']:.3f}, min bulk ESS "
        f"{diagnostics['ess_bulk_min']:.0f}, min tail ESS {diagnostics['ess_tail_min']:.0f}, "
        f"{diagnostics['divergences']} divergences",
    ]

    def moved(value: dict[str, Any]) -> str:
        """Posterior median and 80% interval, beside the prior's where the card has it."""
        text = f"{value['median']:.3f} (80% interval {value['low_80']:.3f}-{value['high_80']:.3f}"
        prior = value.get("prior")
        if prior:
            text += f"; prior {prior['median']:.3f}, {prior['low_80']:.3f}-{prior['high_80']:.3f}"
        return text + ")"

    for name, value in section["hyperparameters"].items():
        lines.append(f"- {name}: {moved(value)}")
    for level, value in section.get("level_mix", {}).items():
        lines.append(f"- share of {level} in an all-levels figure: {moved(value)}")
    for country, edges in section.get("level_edges", {}).items():
        for edge, value in edges.items():
            lines.append(f"- years at the {edge} edge where {country}'s sites put it: {moved(value)}")
    lines += [f"- {several_text(item)}" for item in section.get("several", [])]
    for country, value in section["countries"].items():
        slope = value["mean_slope_0_12_years"]
        lines.append(
            f"- {country}: median rises {slope['median']:.1%} a year from 0 to 12 years (80% interval "
            f"{slope['low_80']:.1%}-{slope['high_80']:.1%}); spread at 5 years "
            f"{value['spread_at_5_years']['median']:.3f} (log sd)"
        )
    checks = section["predictive_checks"]
    outliers = ", ".join(f"{o['id']} {o['statistic']} (percentile {o['percentile']:.2f})" for o in checks["outliers"])
    lines.append(
        f"- posterior predictive checks: {checks['inside']} of {checks['statistics']} reported statistics "
        f"inside their own {checks['level']:.0%} interval" + (f"; outside: {outliers}" if outliers else "")
    )
    lines += [f"- {real_growth_text(item)}" for item in section.get("real_growth", [])]
    for population in section.get("populations", []):
        ratio, spread = population["ratio"], population.get("spread_ratio")
        spreads = (
            f", its pay spread {spread['median']:.2f}x the market's ({spread['low_80']:.2f}-{spread['high_80']:.2f})"
            if spread
            else ""
        )
        lines.append(
            f"- population {plain_markdown(population['name'])} ({population['rows']:,} rows in "
            f"{', '.join(population['countries'])}): pays {ratio['median']:.2f}x the market (80% interval "
            f"{ratio['low_80']:.2f}-{ratio['high_80']:.2f}){spreads}; ask with population="
        )
    lines += [f"- prior {name}: {text}" for name, text in section["priors"].items()]
    return lines


def _aging_uncertainty_words(index: dict[str, Any]) -> str:
    """How uncertain the index's aging is (a card of an earlier format has no such numbers)."""
    if "projection_rate_sd" not in index:
        return ""
    growth = f"; real growth known to {index['real_growth_sd']:.2%} a year" if index["real_growth_sd"] else ""
    return f"; its annual rate varies by {index['projection_rate_sd']:.2%} (sd) year to year{growth}"


# Characters that make Markdown (or HTML inside it) out of text: a figure id or an employer
# name from a user's file is shown as typed, never as a link, an image or a tag.
_MARKUP = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#!"})


def plain_markdown(text: str) -> str:
    """``text`` as literal Markdown: markup characters escaped, control characters
    (newlines, escapes that retitle a terminal) shown as ``?``."""
    return one_line(text).translate(_MARKUP)


def _escaped(value: Any) -> Any:
    """The card's data with every text value made literal Markdown (numbers unchanged)."""
    if isinstance(value, str):
        return plain_markdown(value)
    if is_dataclass(value) and not isinstance(value, type):
        return type(value)(**{field.name: _escaped(getattr(value, field.name)) for field in fields(value)})
    if isinstance(value, dict):
        return {key: _escaped(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_escaped(item) for item in value]
    return value


def render_markdown(card: dict[str, Any] | ModelCard) -> str:
    """The Markdown model card, from the card's named sections (a dict is read into them).

    Every text the card holds (figure ids, employers, reasons, sources: some come from a
    user's files) is written as literal Markdown, so none becomes a link, image or tag.
    """
    sections = _escaped(card if isinstance(card, ModelCard) else ModelCard.from_dict(card))
    money, countries = sections.money, sections.data.countries
    lines = [
        f"# Model card: salarymodel {sections.training.version}",
        "",
        "## Description",
        "Estimates the annual base salary of a Machine Learning Engineer from country, years of "
        "experience and employer, with a confidence band. Trained on a synthetic set "
        "that reproduces salary figures reported by career and salary sites.",
        "",
        f"- created: {sections.training.created_at}",
        f"- seed: {sections.training.seed}, synthetic engineers written beside the model: {sections.training.rows}",
        f"- reference year: {money['reference_year']} (internal basis: pay of 1 July, ECB annual mean rates)",
        "",
        "## Intended use and limits",
        "- Rough market orientation for ML engineer base pay in the countries listed below.",
        "- Not for individual pay decisions: the ground data are a few dozen published figures.",
        "- Total compensation (bonus, equity) is not modelled.",
        *_LIMITS,
        "## Data",
        f"- countries: {', '.join(countries)}",
        f"- figures used: {', '.join(sections.data.used)}",
    ]
    for item in sections.data.excluded:
        lines.append(f"- excluded {item['id']}: {item['reason']}")
    lines += ["", "## Money basis", f"- FX: {money['fx_source']}"]
    for currency in sorted(set(sections.data.currencies)):
        lines.append(f"- 1 USD = {money['per_usd'][currency]:.4f} {currency}")
    for item in money["aging_used"]:
        if item.get("real_growth_prior"):  # a consumer-price index: real growth is the model's parameter
            how = "consumer prices, plus pay's real growth (a parameter of the measurement model, below)"
            cpi = ""
        else:
            how = "wages"
            cpi = f"; consumer prices would give x{item['cpi_factor']:.4f}" if item["cpi_factor"] else ""
        lines.append(
            f"- aged {item['country']} {item['from']} -> {item['to']} with {how}: x{item['wage_factor']:.4f}"
            f"{cpi} ({item['series']}; {item['source']})"
        )
    today = sections.money_over_time
    if today:
        lines.append(
            f"- estimates are served in the money of any month from {today['first_month']} "
            f"(FX: {today['fx']['source']}, {today['fx']['months']})"
        )
        for country, index in today["wage_indices"].items():
            lines.append(
                f"- {country} wage index published to {index['last_published']}, then projected at "
                f"{index['projection_rate']:.1%} a year (at most to {index['projected_at_most_to']})"
                + _aging_uncertainty_words(index)
            )
    lines += _measurement_lines(sections.measurement_model)
    lines += [
        "",
        "## Evaluation results",
        "Coverage of the bands on engineers drawn by the generator with another seed (consistency, not a test against reality):",
        "",
        "| nominal | overall | " + " | ".join(countries) + " | mean high/low - 1 |",
        "|---|---|" + "---|" * len(countries) + "---|",
    ]
    for key, level in sections.evaluation.calibration.items():
        shares = " | ".join(f"{level['by_country'].get(c, float('nan')):.3f}" for c in countries)
        lines.append(f"| {key} | {level['overall']:.3f} | {shares} | {level['mean_relative_width']:.2f} |")
    fidelity = sections.evaluation.fidelity
    lines += [
        "",
        f"Reported figures: {fidelity['summary']['reproduced']} of {fidelity['summary']['statistics']} "
        f"statistics reproduced within {fidelity['tolerance']:.0%} ({fidelity['spread_tolerance']:.0%} for percentiles and "
        f"range ends); the others, with the reason:",
        "",
    ]
    for item in fidelity["figures"]:
        if item["status"] != "reproduced":
            errors = [e for e in (item["relative_error"], item["relative_error_high"]) if e is not None]
            error = f" ({' / '.join(f'{e:+.1%}' for e in errors)})" if errors else ""
            lines.append(f"- {item['id']} {item['statistic']}{error}: {item['status']}, {item['reason']}")
    if fidelity.get("figures_omitted"):
        lines.append(
            f"- and {fidelity['figures_omitted']:,} more statistics with smaller errors (every one: "
            "`python -m salarymodel.evaluate`)"
        )
    lines += _validation_lines(sections.evaluation.validation)
    lines += ["", "## Libraries", ", ".join(f"{k} {v}" for k, v in sections.libraries.items()), ""]
    return "\n".join(lines)


def _validation_lines(validation: dict[str, Any] | None) -> list[str]:
    """The leave-out validation's summaries, where the training run computed it (``--validate``)."""
    if validation is None:
        return [
            "",
            "Validation on figures the model never saw: not run (train with `--validate`, or `python -m salarymodel.evaluate`).",
        ]
    lines = [
        "",
        "Validation on figures the model never saw (each refit without them; "
        "`python -m salarymodel.evaluate` prints every figure):",
        "",
    ]
    for key, name in (("leave_one_figure_out", "each figure left out"), ("leave_one_source_out", "each source left out")):
        summary = validation[key]["summary"]
        if not summary["figures"]:
            lines.append(f"- {name}: no figure could be predicted")
            continue
        lines.append(
            f"- {name}: {summary['figures']} figures predicted ({summary['not_estimable']} not estimable), median "
            f"error {summary['median_abs_error']:.1%}, {summary['inside_interval']:.0%} inside the 80% posterior "
            f"predictive interval; another country's median moved at most {summary['max_median_change_other_country']:.1%}"
        )
    return lines
