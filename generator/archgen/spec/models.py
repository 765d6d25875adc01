"""The product spec: one pydantic tree, the single source of truth for rendering.

Field-level rules live on the fields; rules that span the tree (a tier allowing a
model nobody serves, a workflow no tier can run) live in ``archgen.spec.rules``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from archgen.spec.text import (
    PRINTABLE_TEXT,
    no_html_tags,
    no_prompt_placeholder,
    one_printable_line,
)

SCHEMA_VERSION = 1

# Cascade candidates, in no particular order; the spec's `providers` list gives the order.
KNOWN_PROVIDERS = ("openrouter", "anthropic", "openai", "google", "deepseek", "huggingface")

_SLUG_RE = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")

# Identifiers and ids land unescaped in generated code, paths and Markdown, so they are
# ASCII by pattern (``\w`` would admit any Unicode letter, including ones outside the BMP).
_MODEL_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/@+-]*$"
_MODEL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$"
_STRIPE_PRICE_PATTERN = r"^[A-Za-z0-9_]+$"
_UNIT_PATTERN = r"^[A-Za-z][A-Za-z0-9 _-]*$"
# Stripe lookup keys and meter event names: also land in generated code and docs.
_STRIPE_KEY_PATTERN = r"^[a-z][a-z0-9_]*$"

Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=8)]
PositiveMoney = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=8)]
Identifier = Annotated[
    str,
    Field(
        pattern=_NAME_RE.pattern,
        min_length=1,
        max_length=64,
        description="Lowercase ASCII letters, digits and '_', starting with a letter.",
    ),
]
# Values that end up inside generated code stick to characters that need no escaping
# anywhere (Python, TOML, Markdown tables, HTTP headers).
ProviderModelName = Annotated[
    str,
    Field(
        pattern=_MODEL_NAME_PATTERN,
        min_length=1,
        max_length=200,
        description="The model's name at this provider: ASCII letters, digits and "
        "_ . : / @ + -, starting with a letter or digit. Null means the model's id.",
    ),
]
PriceId = Annotated[
    str,
    Field(
        pattern=_MODEL_NAME_PATTERN,
        min_length=1,
        max_length=120,
        description="Where the prices came from, with a date: ASCII letters, digits and "
        "_ . : / @ + -, starting with a letter or digit.",
    ),
]
StripePriceId = Annotated[
    str,
    Field(
        pattern=_STRIPE_PRICE_PATTERN,
        min_length=1,
        max_length=100,
        description="The Stripe price id (price_...): ASCII letters, digits and '_'.",
    ),
]
StripeLookupKey = Annotated[
    str,
    Field(
        pattern=_STRIPE_KEY_PATTERN,
        min_length=1,
        max_length=100,
        description="A Stripe price lookup key (`python -m app billing setup` creates the "
        "price under it): lowercase ASCII letters, digits and '_', starting with a letter.",
    ),
]
Unit = Annotated[
    str,
    Field(
        pattern=_UNIT_PATTERN,
        min_length=1,
        max_length=40,
        description="What users buy, in words (report, support ticket): ASCII letters, "
        "digits, spaces, '_' and '-', starting with a letter.",
    ),
]
ProductName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=80,
        description=f"The product's display name. {PRINTABLE_TEXT} No '<' or '>', and no "
        "{{ name }} (prompt files refuse it). Other characters are escaped for each file.",
    ),
    AfterValidator(one_printable_line),
    AfterValidator(no_html_tags),
    AfterValidator(no_prompt_placeholder),
]
ProductDescription = Annotated[
    str,
    Field(
        max_length=500,
        description=f"One sentence about the product (package summary, README, system "
        f"prompts). {PRINTABLE_TEXT} No {{{{ name }}}} (prompt files refuse it). Other "
        "characters are escaped for each file.",
    ),
    AfterValidator(one_printable_line),
    AfterValidator(no_prompt_placeholder),
]


class _Strict(BaseModel):
    """Unknown keys are errors (typos get a did-you-mean from the loader)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Framework(StrEnum):
    flask = "flask"
    fastapi = "fastapi"


class Provider(StrEnum):
    openrouter = "openrouter"
    anthropic = "anthropic"
    openai = "openai"
    google = "google"
    deepseek = "deepseek"
    huggingface = "huggingface"


class BillingMode(StrEnum):
    stripe_metered = "stripe_metered"
    prepaid_credits = "prepaid_credits"
    hybrid = "hybrid"
    none = "none"


class RoutingStrategy(StrEnum):
    cost_optimized = "cost_optimized"
    cascade = "cascade"


class Database(StrEnum):
    sqlite = "sqlite"
    postgresql = "postgresql"


class Product(_Strict):
    name: ProductName
    slug: (
        Annotated[
            str,
            Field(
                pattern=_SLUG_RE.pattern,
                max_length=64,
                description="Lowercase ASCII letters, digits and '-' (the distribution and "
                "directory name); derived from the name when absent.",
            ),
        ]
        | None
    ) = None
    description: ProductDescription = ""

    @model_validator(mode="after")
    def _derive_slug(self) -> Product:
        if self.slug is None:
            slug = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")
            if not slug or not slug[0].isalpha():
                slug = f"app-{slug}".strip("-")
            object.__setattr__(self, "slug", slug[:64].rstrip("-"))
        return self

    @property
    def package(self) -> str:
        """The slug as a Python identifier (used for the distribution name)."""
        assert self.slug is not None
        return self.slug.replace("-", "_")


class Price(_Strict):
    """USD per million tokens. ``id`` names where the figures came from, with a date."""

    input_per_mtok: Money
    output_per_mtok: Money
    cached_input_per_mtok: Money | None = None
    id: PriceId | None = None


class Model(_Strict):
    """A model the product may call, and the providers that serve it.

    ``providers`` maps a provider to the model's name at that provider; a null name
    means the same as ``id``. The cascade tries them in the spec's provider order.
    """

    id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=120,
            pattern=_MODEL_ID_PATTERN,
            description="ASCII letters, digits and _ . : / -, starting with a letter or digit.",
        ),
    ]
    providers: dict[Provider, ProviderModelName | None]
    price: Price | None = None
    context_window: Annotated[int, Field(gt=0)]
    max_output_tokens: Annotated[int, Field(gt=0)] = 4096
    quality: Annotated[float, Field(ge=0, le=1)]
    latency_ms: Annotated[int, Field(gt=0)]

    @field_validator("providers")
    @classmethod
    def _at_least_one(cls, value: dict[Provider, str | None]) -> dict[Provider, str | None]:
        if not value:
            raise ValueError("a model needs at least one provider")
        return value


class Tier(_Strict):
    name: Identifier
    monthly_price: Money
    monthly_cost_cap: Money
    soft_warnings: list[Annotated[float, Field(gt=0, lt=1)]] = Field(
        default_factory=lambda: [0.75, 0.90]
    )
    requests_per_minute: Annotated[int, Field(gt=0)]
    allowed_models: Annotated[list[str], Field(min_length=1)]
    stripe_price_id: StripePriceId | None = Field(
        default=None,
        description="Legacy: a pasted Stripe price id, recorded on outbox rows. Prefer "
        "stripe_lookup_key.",
    )
    stripe_lookup_key: StripeLookupKey | None = Field(
        default=None,
        description="Sells this tier through Stripe Checkout: the lookup key of its monthly "
        "price (and, in stripe_metered mode, '<key>_usage' of its metered price). "
        "Null: the tier is not sold through Stripe.",
    )

    @field_validator("soft_warnings")
    @classmethod
    def _ascending(cls, value: list[float]) -> list[float]:
        if any(b <= a for a, b in pairwise(value)):
            raise ValueError("soft_warnings must be strictly ascending, each in (0, 1)")
        return value


class Workflow(_Strict):
    name: Identifier
    unit: Unit
    min_quality: Annotated[float, Field(ge=0, le=1)] = 0.0
    max_context_tokens: Annotated[int, Field(gt=0)]
    max_output_tokens: Annotated[int, Field(gt=0)] = 1024
    max_latency_ms: Annotated[int, Field(gt=0)] | None = None
    soft_daily_cost: PositiveMoney | None = None
    prompt: Identifier
    cache: bool = True
    collection: Identifier | None = Field(
        default=None,
        description="The knowledge collection this workflow answers from (retrieval and "
        "cited sources); it must be one of knowledge.collections.",
    )


class DocumentFormat(StrEnum):
    pdf = "pdf"
    markdown = "markdown"
    html = "html"
    text = "text"


class Collection(_Strict):
    """A named set of documents a workspace uploads (e.g. ``docs``, ``help_center``)."""

    name: Identifier
    formats: Annotated[list[DocumentFormat], Field(min_length=1)] = Field(
        default_factory=lambda: list(DocumentFormat),
        description="The document formats uploads may have: pdf, markdown, html, text.",
    )

    @field_validator("formats")
    @classmethod
    def _distinct(cls, value: list[DocumentFormat]) -> list[DocumentFormat]:
        if len(set(value)) != len(value):
            raise ValueError("formats must not repeat")
        return value


class KnowledgeLimits(_Strict):
    """What one workspace of a tier may store, over all its collections."""

    documents: Annotated[int, Field(gt=0, le=1_000_000)] = Field(
        default=100, description="Documents stored at once."
    )
    total_bytes: Annotated[int, Field(gt=0, le=10**12)] = Field(
        default=50_000_000, description="Bytes of uploaded files stored at once."
    )
    pages_per_file: Annotated[int, Field(gt=0, le=100_000)] = Field(
        default=500, description="Pages of one PDF (other formats count as one page)."
    )


class Chunking(_Strict):
    """How documents are split for retrieval, in characters."""

    size: Annotated[int, Field(ge=200, le=20_000)] = 1200
    overlap: Annotated[int, Field(ge=0, le=10_000)] = 200

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Chunking:
        if self.overlap >= self.size // 2:
            raise ValueError("overlap must be less than half of size")
        return self


class Retrieval(_Strict):
    """How many chunks a question retrieves, and how relevant they must be."""

    top_k: Annotated[int, Field(gt=0, le=50)] = 5
    min_score: Annotated[float, Field(ge=0, le=1)] = Field(
        default=0.3,
        description="The share of the question's words a chunk must contain (0 to 1); "
        "below it a chunk does not count as a source.",
    )


class Knowledge(_Strict):
    """Per-workspace documents, indexed with the database's full-text search."""

    collections: Annotated[list[Collection], Field(min_length=1, max_length=50)]
    limits: dict[str, KnowledgeLimits] = Field(
        default_factory=dict,
        description="Per tier name; a tier not listed gets the defaults "
        "(100 documents, 50 MB, 500 pages per file).",
    )
    chunking: Chunking = Field(default_factory=Chunking)
    retrieval: Retrieval = Field(default_factory=Retrieval)

    @field_validator("collections")
    @classmethod
    def _unique_names(cls, value: list[Collection]) -> list[Collection]:
        names = [c.name for c in value]
        if len(set(names)) != len(names):
            raise ValueError("collection names must be unique")
        return value

    def limits_for(self, tier: str) -> KnowledgeLimits:
        """The limits of ``tier`` (the defaults when the spec lists none)."""
        return self.limits.get(tier) or KnowledgeLimits()


class MeterUnit(StrEnum):
    workflow_unit = "workflow_unit"
    kilo_tokens = "kilo_tokens"
    cost_micros = "cost_micros"


class Meter(_Strict):
    """The Stripe Billing Meter usage is reported to (stripe_metered mode)."""

    event_name: Annotated[
        str,
        Field(
            pattern=_STRIPE_KEY_PATTERN,
            min_length=1,
            max_length=100,
            description="The meter's event name: lowercase ASCII letters, digits and '_'.",
        ),
    ] = "ai_usage"
    unit: MeterUnit = Field(
        default=MeterUnit.cost_micros,
        description="What one unit is: workflow_unit (one answer delivered), kilo_tokens "
        "(1,000 tokens, input plus output, rounded up per call) or cost_micros (one "
        "micro-dollar of provider cost, charged with markup).",
    )
    unit_price: PositiveMoney | None = Field(
        default=None,
        description="USD per unit; required for workflow_unit and kilo_tokens (cost_micros "
        "units cost markup x $0.000001).",
    )
    markup: Annotated[Decimal, Field(ge=1, le=1000, max_digits=10, decimal_places=4)] = Field(
        default=Decimal(1),
        description="cost_micros only: what a customer pays per dollar of provider cost.",
    )

    def price_per_unit(self) -> Decimal:
        """USD per unit: ``unit_price``, or markup x $0.000001 for cost_micros."""
        if self.unit_price is not None:
            return self.unit_price
        return self.markup * Decimal("0.000001")

    @model_validator(mode="after")
    def _priced(self) -> Meter:
        if self.unit != MeterUnit.cost_micros and self.unit_price is None:
            raise ValueError(f"a meter counting {self.unit.value} needs a unit_price (USD)")
        if self.unit == MeterUnit.cost_micros and self.unit_price is not None:
            raise ValueError("a cost_micros meter is priced by markup, not unit_price")
        return self


class CreditPack(_Strict):
    """Prepaid credits sold through Stripe Checkout (prepaid_credits and hybrid modes)."""

    name: Identifier
    credits: PositiveMoney = Field(description="USD of credits granted when paid.")
    price: PositiveMoney = Field(description="What the customer pays, in USD.")
    stripe_lookup_key: StripeLookupKey


class Billing(_Strict):
    mode: BillingMode = BillingMode.none
    meter: Meter = Field(default_factory=Meter)
    credit_packs: list[CreditPack] = Field(
        default_factory=list,
        description="Credit packs customers may buy (prepaid_credits and hybrid modes).",
    )
    fallback_tier: Identifier | None = Field(
        default=None,
        description="The tier a workspace falls back to when its subscription ends. "
        "Default: the first tier.",
    )


class CircuitBreaker(_Strict):
    error_threshold: Annotated[int, Field(gt=0)] = 5
    reset_seconds: Annotated[float, Field(gt=0)] = 30.0


class Routing(_Strict):
    strategy: RoutingStrategy = RoutingStrategy.cost_optimized
    circuit_breaker: CircuitBreaker = Field(default_factory=CircuitBreaker)


class ExactCache(_Strict):
    enabled: bool = True
    ttl_seconds: Annotated[int, Field(gt=0)] = 3600


class SemanticCache(_Strict):
    enabled: bool = False
    threshold: Annotated[float, Field(gt=0, le=1)] = 0.92


class Cache(_Strict):
    exact: ExactCache = Field(default_factory=ExactCache)
    semantic: SemanticCache = Field(default_factory=SemanticCache)


class Privacy(_Strict):
    log_prompts: bool = False


class DatabaseSettings(_Strict):
    default: Database = Database.sqlite


class InfraBand(_Strict):
    """Infrastructure cost per month while monthly active users stay at or below ``up_to_mau``."""

    up_to_mau: Annotated[int, Field(gt=0)]
    monthly_usd: Money


def _default_infra() -> list[InfraBand]:
    # One small instance on SQLite; then app servers with managed PostgreSQL and Redis.
    return [
        InfraBand(up_to_mau=1_000, monthly_usd=Decimal(25)),
        InfraBand(up_to_mau=10_000, monthly_usd=Decimal(150)),
        InfraBand(up_to_mau=100_000, monthly_usd=Decimal(900)),
    ]


class TcoAssumptions(_Strict):
    """What the cost model (``docs/cost/tco.md``, ``archgen tco``) assumes about usage."""

    mau: Annotated[list[Annotated[int, Field(gt=0)]], Field(min_length=1)] = Field(
        default_factory=lambda: [100, 1_000, 10_000, 100_000],
        description="Monthly active users at each scale point modelled.",
    )
    requests_per_user_month: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict,
        description="Requests per user per month, per tier name; a tier not listed: 100.",
    )
    tier_mix: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict,
        description="Share of MAU on each tier; must sum to 1 when given. Default: equal shares.",
    )
    workflow_mix: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict,
        description=(
            "Share of requests per workflow; must sum to 1 when given. Default: equal shares. "
            "A tier that cannot run a workflow spreads its share over the ones it can."
        ),
    )
    input_fill_ratio: Annotated[float, Field(gt=0, le=1)] = Field(
        default=0.25,
        description=(
            "Input tokens per request as a share of the most a workflow accepts "
            "(max_context_tokens - max_output_tokens)."
        ),
    )
    output_fill_ratio: Annotated[float, Field(gt=0, le=1)] = Field(
        default=0.5,
        description="Output tokens per request as a share of the workflow's max_output_tokens.",
    )
    cache_hit_rate: Annotated[float, Field(ge=0, lt=1)] = Field(
        default=0.1,
        description=(
            "Share of requests answered from the response cache (no provider cost), for "
            "workflows with cache on while cache.exact or cache.semantic is enabled."
        ),
    )
    infra: Annotated[list[InfraBand], Field(min_length=1)] = Field(
        default_factory=_default_infra,
        description=(
            "Infrastructure cost per month by scale band, up_to_mau ascending and cost never "
            "falling; above the last band "
            "its cost repeats for every further up_to_mau users. Default: $25 up to 1,000 "
            "MAU, $150 up to 10,000, $900 up to 100,000."
        ),
    )


class ProductSpec(_Strict):
    schema_version: Annotated[int, Field(ge=1, le=SCHEMA_VERSION)] = SCHEMA_VERSION
    product: Product
    framework: Framework = Framework.fastapi
    providers: Annotated[list[Provider], Field(min_length=1)]
    models: Annotated[list[Model], Field(min_length=1)]
    tiers: Annotated[list[Tier], Field(min_length=1)]
    workflows: Annotated[list[Workflow], Field(min_length=1)]
    billing: Billing = Field(default_factory=Billing)
    routing: Routing = Field(default_factory=Routing)
    cache: Cache = Field(default_factory=Cache)
    privacy: Privacy = Field(default_factory=Privacy)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    tco: TcoAssumptions = Field(default_factory=TcoAssumptions)
    knowledge: Knowledge | None = Field(
        default=None,
        description="Documents each workspace uploads and workflows answer from, with "
        "citations. Absent: the project has no knowledge endpoints or tables.",
    )

    def model_by_id(self, model_id: str) -> Model:
        """The model named ``model_id`` (the spec is validated, so it exists)."""
        return next(m for m in self.models if m.id == model_id)
