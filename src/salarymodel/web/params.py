"""What the endpoints share: the model they answer from, and their query parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from pydantic import BeforeValidator

from ..data.amounts import AmountError, parse_amount, parse_confidence
from ..errors import ParameterError
from ..serving.core import ModelCore
from ..serving.model import SalaryModel
from ..serving.model_io.card import ModelCard
from ..serving.year_ranges import parse_years_text

__all__ = [
    "ModelDep",
    "CardDep",
    "card_of",
    "Country",
    "Years",
    "YearsMax",
    "Company",
    "Confidence",
    "Salary",
    "Currency",
    "AsOf",
    "Population",
    "years_value",
    "answering_core",
]


async def _model(request: Request) -> SalaryModel:
    """The model this app serves (loaded once, when the app was created). Async, so
    FastAPI resolves it on the event loop instead of a worker thread's round trip."""
    return request.app.state.model


ModelDep = Annotated[SalaryModel, Depends(_model)]


async def _card(request: Request) -> ModelCard | None:
    """The served model's card by its sections (read once, when the app was created)."""
    return request.app.state.card


CardDep = Annotated[ModelCard | None, Depends(_card)]
Country = Annotated[str, Query(description="Country name or ISO code: Germany, DE, USA, india")]
Years = Annotated[str, Query(description="Years of experience, 0 to 50, or a range such as 3-5")]
YearsMax = Annotated[float | None, Query(description="The range's high end (years is then its low end)")]
Company = Annotated[str | None, Query(description="Employer; unknown ones give the market")]
# Read as people type them (70k, 70,000, 14.5 lakh; 80, 80% or 0.8); a refusal says how to write it.
Confidence = Annotated[float, BeforeValidator(parse_confidence), Query(description="Band coverage: 0.8, 80 or 80%")]
Salary = Annotated[
    float,
    BeforeValidator(parse_amount),
    Query(description="Annual base salary in currency (the country's own when empty): 70000, 70,000, 70k or 14.5 lakh"),
]
Currency = Annotated[str | None, Query(description="ISO 4217 code; the country's own when empty")]
AsOf = Annotated[str | None, Query(description="Date whose money to use, YYYY-MM-DD or YYYY-MM; today when empty")]
Population = Annotated[
    str | None,
    Query(description="Answer as this population (a source of records the model was trained with) sees the market"),
]


def answering_core(model: SalaryModel, population: str | None, country: str) -> ModelCore:
    """The core answering as ``population`` sees ``country``'s market (the model's own when empty)."""
    return model.core if not population else model.core.population_view(population, country)


def years_value(text: str, years_max: float | None) -> float | tuple[float, float]:
    """The ``years`` query (a number or a range such as '3-5') and ``years_max``, as ``predict`` takes them."""
    try:
        value = parse_years_text(text)
    except ValueError as error:
        why = f" ({error})" if isinstance(error, AmountError) else ""
        raise ParameterError(
            "years",
            f"The 'years' parameter must be years of experience such as 5, or a range such as 3-5. Got {text[:40]!r} "
            f"instead{why}.",
        ) from None
    if years_max is None:
        return value
    if isinstance(value, tuple):
        raise ParameterError(
            "years_max",
            f"The 'years_max' parameter is given, and 'years' is already a range ({text[:40]!r}): give one or the other.",
        )
    return value, years_max


def card_of(model: SalaryModel) -> ModelCard | None:
    """The card of the folder ``model`` was loaded from, by its sections; None for a
    model built in memory, or a card this version cannot read (the estimates do
    not depend on it)."""
    from ..errors import ModelIntegrityError
    from ..serving.model_io.folder import read_card

    if model.folder is None:
        return None
    try:
        return ModelCard.from_dict(read_card(model.folder))
    except (ModelIntegrityError, KeyError, TypeError, ValueError):
        return None
