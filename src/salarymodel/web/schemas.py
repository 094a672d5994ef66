"""The JSON API's answers as Pydantic models: each endpoint declares one, so the
OpenAPI schema lists every field a client receives, with its meaning.

Amounts are annual base salaries in ``currency``, money of ``as_of``; numbers
are plain (no grouping) and a value that does not apply is null.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Problem",
    "ProblemDetail",
    "Estimate",
    "Rank",
    "PayRangeAnswer",
    "Ranges",
    "CurvePoint",
    "Curve",
    "FigureBehind",
    "BandParts",
    "Explanation",
    "BatchRow",
    "BatchLimits",
    "Batch",
    "KnownCountry",
    "Known",
    "ModelSummary",
    "Health",
    "Ready",
]


class ProblemDetail(BaseModel):
    loc: list[str] = Field(description="Where the problem is: ['query', 'years'], ['body', 'rows'], ...")
    msg: str = Field(description="What is wrong and how to fix it")
    type: str = Field(description="'value_error', 'type_error', 'busy', or FastAPI's own validation type")


class Problem(BaseModel):
    """Every 4xx and 503 answer."""

    detail: list[ProblemDetail]


class Estimate(BaseModel):
    country: str = Field(description="ISO 3166 alpha-2 code")
    years: float = Field(description="Years of experience (a range's low end)")
    years_max: float | None = Field(description="A range's high end; null for one number of years")
    company: str | None = Field(description="Canonical employer name, the name given when unknown, or null")
    company_known: bool = Field(description="False: the estimate is the country's market")
    suggestion: str | None = Field(description="For an unknown employer, the closest known one there")
    level: str = Field(description="entry, mid, senior or lead")
    currency: str
    confidence: float = Field(description="The band's coverage")
    low: float = Field(description="The band's low end: (1 - confidence) / 2 of engineers like this earn less")
    median: float
    high: float
    median_low: float = Field(description="The market median's own 80% interval, low end")
    median_high: float = Field(description="The market median's own 80% interval, high end")
    support: str = Field(description="strong, moderate, thin or extrapolated: how closely figures back it")
    sources: list[str] = Field(description="Ids of the reported figures it rests on")
    fx_rate: float = Field(description="Units of currency per USD (ECB monthly mean of fx_period)")
    fx_period: str
    as_of: str = Field(description="ISO date whose money the amounts are in")
    projected: bool = Field(description="The wage index was projected past its last published value")
    reference_year: int
    percentiles: dict[str, float] = Field(description="p10, p25, p50, p75, p90")
    pay: str = Field(description="Always 'base': base salary, not total compensation")
    population: str | None = Field(description="The population whose view of the market answered; null: the market")
    model_version: str | None
    model_seed: int | None
    sentence: str = Field(description="The answer in words (rupees grouped in lakh)")


class Rank(BaseModel):
    country: str
    country_name: str
    years: float
    years_max: float | None
    company: str | None
    company_known: bool
    salary: float
    currency: str
    as_of: str
    percentile: float = Field(description="Share of engineers like this earning less, in %")
    percentile_low: float = Field(description="The percentile if the market's median sat at its 80% interval's high end")
    percentile_high: float = Field(description="... and at its low end")
    median: float
    p75: float
    compa_ratio: float = Field(description="salary / median")
    beyond: str | None = Field(description="'below' or 'above' past what the tables read (0.023rd-99.977th)")
    gap_to_median: float = Field(description="median - salary")
    gap_to_p75: float = Field(description="p75 - salary")
    pay: str
    population: str | None = Field(description="The population whose view of the market answered; null: the market")
    sentence: str
    model_version: str | None


class PayRangeAnswer(BaseModel):
    level: str
    years_min: float
    years_max: float
    minimum: float
    midpoint: float
    maximum: float
    percentiles: dict[str, float]
    currency: str
    as_of: str
    support: str
    sources: list[str]


class Ranges(BaseModel):
    pay: str
    target: float = Field(description="Percentile of each midpoint")
    spread: list[float] = Field(description="Percentiles of each minimum and maximum")
    ranges: list[PayRangeAnswer]
    schema_org: list[dict[str, str | float]] = Field(
        description="Each range as a schema.org MonetaryAmountDistribution, for job boards"
    )


class CurvePoint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    years: float
    p10: float
    p25: float
    p50: float
    p75: float
    p90: float


class Curve(BaseModel):
    country: str
    company: str | None
    currency: str
    as_of: str
    pay: str
    points: list[CurvePoint]


class FigureBehind(BaseModel):
    id: str
    source: str
    site: str | None = Field(description="The site or survey behind the figure ('' where the article names none)")
    publisher: str | None
    title: str | None
    published: str | None
    address: str | None
    statistic: str
    published_value: float | None = Field(description="As the source published it, in published_currency")
    published_value_high: float | None
    published_currency: str | None
    published_year: int | None
    level: str
    years_min: float
    years_max: float
    company: str | None
    reported: float = Field(description="The figure in this answer's money")
    reported_high: float | None
    model: float = Field(description="The model's value of the same statistic, in this answer's money")
    model_high: float | None
    relative_difference: float | None
    relative_difference_high: float | None
    currency: str


class BandParts(BaseModel):
    within_sd: float = Field(description="Spread of pay within the market (log sd)")
    median_sd_low: float = Field(description="How well the median is known, below it (log sd)")
    median_sd_high: float = Field(description="... above it (log sd)")
    aging_sd: float = Field(description="The part of it that is the aging to the estimate's date (log sd)")
    median_share: float = Field(description="The median's uncertainty's share of the band's variance")


class Explanation(BaseModel):
    figures: list[FigureBehind]
    band_parts: BandParts


class BatchRow(BaseModel):
    line: int = Field(description="The row's number (a CSV body: its line)")
    low: float | None
    median: float | None
    high: float | None
    currency: str | None
    company_known: bool
    employer: str | None = Field(description="The employer the company resolved to (ByteDance: TikTok); null: the market")
    support: str | None
    as_of: str | None
    projected: bool
    p10: float | None
    p25: float | None
    p50: float | None
    p75: float | None
    p90: float | None
    percentile: float | None = Field(None, description="With a salary field: where it stands")
    compa_ratio: float | None = Field(None, description="With a salary field: salary / median")
    error: str = Field(description="Empty, or why the row could not be scored")


class BatchLimits(BaseModel):
    rows: int
    bytes: int


class Batch(BaseModel):
    rows: list[BatchRow]
    scored: int
    bad: int
    pay: str
    limits: BatchLimits


class KnownCountry(BaseModel):
    country: str
    name: str
    currency: str
    employers: list[str]
    aliases: dict[str, list[str]]
    populations: list[str] = Field(description="Sources of records that answer here (the population parameter)")


class Known(BaseModel):
    countries: list[KnownCountry]
    currencies: list[str] = Field(description="Currencies with an ECB rate this month")


class FigureLeftOut(BaseModel):
    id: str
    reason: str


class ModelSummary(BaseModel):
    version: str | None
    seed: int | None
    rows: int | None
    countries: list[str]
    reference_year: int
    pay: str
    band: str
    created_at: str | None = Field(description="When the model was trained (from its card; null for a model built in memory)")
    figures_used: list[str] | None = Field(description="Ids of the reported figures the model rests on")
    figures_excluded: list[FigureLeftOut] | None = Field(description="Figures kept out of the model, and why")
    held_out_coverage: dict[str, float] | None = Field(
        description="Share of held-out engineers inside the band, per nominal level ('0.8': 0.80 is honest)"
    )


class Health(BaseModel):
    ok: bool


class Ready(BaseModel):
    ready: bool
