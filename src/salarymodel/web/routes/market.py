"""The market at large: salary curves, pay ranges for postings, and what the model knows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ...serving.pay_ranges import parse_levels, schema_org
from ..batch import PERCENTILES
from ..params import AsOf, CardDep, Company, Country, Currency, ModelDep, Population
from ..problems import PROBLEM_RESPONSES
from ..schemas import Curve, Known, ModelSummary, Ranges

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["market"], responses=PROBLEM_RESPONSES)


@router.get("/ranges", response_model=Ranges, summary="Pay ranges for job postings: minimum, midpoint and maximum per level")
def ranges(
    model: ModelDep,
    country: Country,
    company: Company = None,
    currency: Currency = None,
    as_of: AsOf = None,
    target: Annotated[float, Query(description="Percentile of the midpoint")] = 50.0,
    spread_low: Annotated[float, Query(description="Percentile of the minimum")] = 25.0,
    spread_high: Annotated[float, Query(description="Percentile of the maximum")] = 75.0,
    levels: Annotated[
        str | None, Query(description="Year ranges of your levels, e.g. 0-3,3-7,7-12 (default: entry, mid, senior, lead)")
    ] = None,
    population: Population = None,
) -> dict:
    answers = model.ranges(
        country,
        company or None,
        levels=parse_levels(levels or None),
        target=target,
        spread=(spread_low, spread_high),
        currency=currency or None,
        as_of=as_of or None,
        population=population,
    )
    return {
        "pay": model.meta.pay,
        "target": target,
        "spread": [spread_low, spread_high],
        "ranges": [answer.to_dict() for answer in answers],
        "schema_org": [schema_org(answer) for answer in answers],
    }


@router.get("/curve", response_model=Curve, summary="Percentiles of base salary by years of experience")
def curve(
    model: ModelDep,
    country: Country,
    company: Company = None,
    currency: Currency = None,
    as_of: AsOf = None,
    years_to: Annotated[int, Query(ge=1, le=50, description="Last year of the curve")] = 30,
    population: Population = None,
) -> dict:
    table = model.curve(
        country,
        company or None,
        years=list(range(years_to + 1)),
        q=PERCENTILES,
        currency=currency or None,
        as_of=as_of or None,
        population=population,
    )
    wide = table.pivot(index="years", columns="percentile", values="salary")
    first = table.iloc[0]
    return {
        "country": first["country"],
        "company": first["company"],
        "currency": first["currency"],
        "as_of": first["as_of"],
        "pay": model.meta.pay,
        "points": [{"years": float(y), **{f"p{int(q)}": float(row[q]) for q in wide.columns}} for y, row in wide.iterrows()],
    }


@router.get("/known", response_model=Known, summary="Countries, their currencies and employers")
def known(model: ModelDep) -> dict:
    currencies = model.core.money.currencies_at(model.core.money.fx_last_month)  # those with a rate now
    return {"countries": model.known(), "currencies": currencies}


@router.get("/model", response_model=ModelSummary, summary="The model card's summary")
def model_summary(model: ModelDep, card: CardDep) -> dict:
    facts = model.meta.metadata
    summary = {
        "version": facts.version,
        "seed": facts.seed,
        "rows": facts.rows,
        "countries": list(model.core.countries),
        "reference_year": model.core.reference_year,
        "pay": model.meta.pay,
        "band": "80% of ML engineers like this (country, years, employer) earn between low and high: the "
        "spread within the market plus the uncertainty of the market's median, each counted once",
        "created_at": None,
        "figures_used": None,
        "figures_excluded": None,
        "held_out_coverage": None,
    }
    if card is not None:
        summary.update(
            created_at=card.training.created_at,
            figures_used=card.data.used,
            figures_excluded=card.data.excluded,
            held_out_coverage={level: row["overall"] for level, row in card.evaluation.calibration.items()},
        )
    return summary
