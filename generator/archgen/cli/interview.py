"""The questions ``archgen new`` asks on a terminal when given no spec.

It asks for the whole spec: product, framework, providers, billing mode, tiers
(name, price, cost cap, rate, allowed models from the catalog) and workflows (unit,
quality, limits), with every default taken from a chosen blueprint. Each answer is
checked by the spec's own field validator and asked again, with its message, when
it is wrong; the finished spec is checked by every rule before it is written, as a
canonical spec file the user can edit and regenerate from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from rich.console import Console
from rich.prompt import Confirm, Prompt
from rich.text import Text

from archgen.errors import SpecError, UsageError
from archgen.spec import dump_spec, list_blueprints, load_spec, parse_spec
from archgen.spec.models import (
    KNOWN_PROVIDERS,
    BillingMode,
    Framework,
    Product,
    ProductSpec,
    Tier,
    Workflow,
)

T = TypeVar("T")
Data = dict[str, Any]

_HEADER = "# Written by `archgen new` from the {blueprint} blueprint. Edit and regenerate.\n"


class _Asker:
    """Prompts on one console; re-asks until the answer parses."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def ask(self, question: str, default: str, parse: Callable[[str], T]) -> T:
        while True:
            answer = Prompt.ask(Text(question), default=default, console=self.console)
            try:
                return parse(answer.strip())
            except ValidationError as exc:
                self.fail(exc.errors()[0]["msg"])
            except ValueError as exc:
                self.fail(str(exc))

    def choose(self, question: str, choices: list[str], default: str) -> str:
        return Prompt.ask(Text(question), choices=choices, default=default, console=self.console)

    def fail(self, message: str) -> None:
        self.console.print(Text(f"  {message}; try again", style="red"))

    def say(self, message: str, style: str = "") -> None:
        self.console.print(Text(message, style=style), soft_wrap=True)


def _field(model: type[BaseModel], name: str) -> Callable[[str], Any]:
    """A parser for one spec field: its own type and constraints, its own message."""
    adapter: TypeAdapter[Any] = TypeAdapter(model.model_fields[name].rebuild_annotation())
    return lambda text: adapter.validate_python(text)


def _optional(parse: Callable[[str], T]) -> Callable[[str], T | None]:
    """Blank (or ``none``) means unset."""
    return lambda text: None if text.lower() in ("", "none", "-") else parse(text)


def _names(kind: str) -> Callable[[str], list[str]]:
    """A comma-separated list of distinct identifiers (tier or workflow names)."""
    check = _field(Tier, "name")

    def parse(text: str) -> list[str]:
        names = [check(n.strip()) for n in text.split(",") if n.strip()]
        if not names:
            raise ValueError(f"name at least one {kind}")
        if len(set(names)) != len(names):
            raise ValueError(f"each {kind} name once")
        return names

    return parse


def _subset(kind: str, allowed: Iterable[str]) -> Callable[[str], list[str]]:
    """A comma-separated list of distinct values out of ``allowed``."""
    options = list(allowed)

    def parse(text: str) -> list[str]:
        chosen = [p.strip() for p in text.split(",") if p.strip()]
        unknown = [p for p in chosen if p not in options]
        if unknown:
            raise ValueError(
                f"unknown {kind} {', '.join(unknown)}: choose from {', '.join(options)}"
            )
        if not chosen or len(set(chosen)) != len(chosen):
            raise ValueError(f"choose at least one {kind} from {', '.join(options)}, each once")
        return chosen

    return parse


def _text(value: object) -> str:
    """A default as the user would type it."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _models_for(base: Data, providers: list[str]) -> list[Data]:
    """The blueprint's models served by ``providers``, routes limited to them."""
    models = []
    for model in base["models"]:
        served = {p: n for p, n in model["providers"].items() if p in providers}
        if served:
            models.append({**model, "providers": served})
    return models


def _ask_providers(ui: _Asker, base: Data) -> tuple[list[str], list[Data]]:
    default = ", ".join(base["providers"])
    while True:
        providers = ui.ask(
            "Providers, in cascade order (comma-separated)",
            default,
            _subset("provider", KNOWN_PROVIDERS),
        )
        models = _models_for(base, providers)
        if models:
            return providers, models
        ui.fail(f"no model of the blueprint is served by {', '.join(providers)}")


def _ask_tier(ui: _Asker, name: str, like: Data, catalog: list[str], billing: str) -> Data:
    ui.say(f"Tier {name}:", style="bold")
    allowed = [m for m in like.get("allowed_models", []) if m in catalog] or catalog
    tier: Data = {
        "name": name,
        "monthly_price": ui.ask(
            "  monthly price (USD)", _text(like["monthly_price"]), _field(Tier, "monthly_price")
        ),
        "monthly_cost_cap": ui.ask(
            "  monthly cost cap per workspace (USD)",
            _text(like["monthly_cost_cap"]),
            _field(Tier, "monthly_cost_cap"),
        ),
        "requests_per_minute": ui.ask(
            "  requests per minute",
            _text(like["requests_per_minute"]),
            _field(Tier, "requests_per_minute"),
        ),
        "allowed_models": ui.ask(
            f"  allowed models (from: {', '.join(catalog)})",
            _text(allowed),
            _subset("model", catalog),
        ),
    }
    if "soft_warnings" in like:
        tier["soft_warnings"] = like["soft_warnings"]
    if billing != "none":
        stripe = ui.ask(
            "  Stripe price lookup key, to sell it through Checkout (blank for none)",
            _text(like.get("stripe_lookup_key")),
            _optional(_field(Tier, "stripe_lookup_key")),
        )
        if stripe is not None:
            tier["stripe_lookup_key"] = stripe
    return tier


def _ask_workflow(ui: _Asker, name: str, like: Data) -> Data:
    ui.say(f"Workflow {name}:", style="bold")
    workflow: Data = {"name": name}
    questions = (
        ("unit", "  the unit a user buys (a report, a reply)"),
        ("min_quality", "  minimum model quality (0-1)"),
        ("max_context_tokens", "  max context tokens"),
        ("max_output_tokens", "  max output tokens"),
    )
    for key, question in questions:
        workflow[key] = ui.ask(question, _text(like.get(key)), _field(Workflow, key))
    daily = ui.ask(
        "  soft daily cost per workspace (USD, blank for none)",
        _text(like.get("soft_daily_cost")),
        _optional(_field(Workflow, "soft_daily_cost")),
    )
    if daily is not None:
        workflow["soft_daily_cost"] = daily
    workflow["prompt"] = ui.ask(
        "  prompt name", like.get("prompt") or name, _field(Workflow, "prompt")
    )
    return workflow


def _like(items: list[Data], name: str) -> Data:
    """The blueprint's entry called ``name``, else its first one (the defaults)."""
    return next((i for i in items if i["name"] == name), items[0])


def _ask_plans(ui: _Asker, base: Data, data: Data, billing: str) -> None:
    """Tiers and workflows, into ``data``; earlier answers are the defaults of a retry."""
    catalog = [m["id"] for m in data["models"]]
    tiers = ui.ask(
        "Tiers (comma-separated names)",
        ", ".join(t["name"] for t in data.get("tiers") or base["tiers"]),
        _names("tier"),
    )
    previous = data.get("tiers", []) + base["tiers"]
    data["tiers"] = [_ask_tier(ui, n, _like(previous, n), catalog, billing) for n in tiers]
    workflows = ui.ask(
        "Workflows (comma-separated names)",
        ", ".join(w["name"] for w in data.get("workflows") or base["workflows"]),
        _names("workflow"),
    )
    previous = data.get("workflows", []) + base["workflows"]
    data["workflows"] = [_ask_workflow(ui, n, _like(previous, n)) for n in workflows]
    names = set(tiers)
    tco = data.get("tco", {})
    for key in ("tier_mix", "requests_per_user_month"):
        if key in tco and set(tco[key]) != names:
            del tco[key]  # written for the blueprint's tiers, not these


def _ask_basics(ui: _Asker, base: ProductSpec, data: Data) -> str:
    """Product, framework, providers (and so models), billing; returns the billing mode."""
    product = ui.ask("Product name", base.product.name, _field(Product, "name"))
    description = ui.ask(
        "One-line description", base.product.description, _field(Product, "description")
    )
    data["product"] = {"name": product, "description": description}
    data["framework"] = ui.choose("Framework", [f.value for f in Framework], base.framework.value)
    data["providers"], data["models"] = _ask_providers(ui, data)
    billing = ui.choose("Billing mode", [b.value for b in BillingMode], base.billing.mode.value)
    data["billing"] = {"mode": billing}
    if billing == base.billing.mode.value:
        # The base spec's meter and credit packs (tiers may change: not its fallback tier).
        kept = base.billing.model_dump(mode="json", exclude_defaults=True)
        data["billing"] |= {k: kept[k] for k in ("meter", "credit_packs") if k in kept}
    return billing


def _canonical(data: Data, source: str) -> str:
    """The spec as ``archgen validate`` reads it, or SpecError listing every problem."""
    text = dump_spec(parse_spec(_yaml(data), source))
    parse_spec(text, source)  # the canonical form is itself valid
    return text


def _yaml(data: Data) -> str:
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    # Keep the spec's key order (ruamel types this attribute as None).
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.representer.add_representer(
        Decimal, lambda r, v: r.represent_scalar("tag:yaml.org,2002:float", _text(v))
    )
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def interview(*, console: Console, cwd: Path | None = None) -> Path:
    """Ask for a whole spec, write ``<slug>.yaml`` in ``cwd`` and return its path."""
    cwd = cwd or Path.cwd()
    ui = _Asker(console)
    blueprints = list_blueprints()
    names = [b.name for b in blueprints]
    ui.say("archgen new: questions for your spec (Enter keeps the default).", style="bold")
    start = ui.choose("Start from blueprint", names, names[0])
    base = load_spec(next(b.path for b in blueprints if b.name == start))
    base_data = base.model_dump(mode="json", exclude_none=True)
    data: Data = dict(base_data)
    billing = _ask_basics(ui, base, data)
    path = cwd / f"{Product(name=data['product']['name']).slug}.yaml"
    while True:
        _ask_plans(ui, base_data, data, billing)
        try:
            text = _canonical(data, str(path))
            break
        except SpecError as error:
            ui.say(f"The spec has {error.message}:", style="red")
            for problem in error.problems:
                ui.say(f"  {problem.path}: {problem.message}")
            ui.say("Answer the tiers and workflows again (your answers are the defaults).")
    if path.exists() and not Confirm.ask(
        Text(f"{path} exists; overwrite?"), default=False, console=console
    ):
        raise UsageError(f"{path} exists; not overwritten")
    path.write_text(_HEADER.format(blueprint=start) + text, encoding="utf-8")
    ui.say(f"wrote {path}", style="green")
    return path
