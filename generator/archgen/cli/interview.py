"""The questions ``archgen new`` asks on a terminal when given no spec.

Answers adapt a blueprint (models, tiers and workflows are kept, filtered to the
chosen providers); the result is written as a spec file the user can edit and
regenerate from, and validated like any other spec.
"""

from __future__ import annotations

import io
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.prompt import Confirm, Prompt
from ruamel.yaml import YAML

from archgen.errors import UsageError
from archgen.spec import dump_spec, list_blueprints, load_spec, parse_spec
from archgen.spec.models import KNOWN_PROVIDERS, BillingMode, Framework, Product, ProductSpec


def _ask_providers(console: Console, default: list[str]) -> list[str]:
    while True:
        answer = Prompt.ask(
            "Providers, in cascade order (comma-separated)",
            default=", ".join(default),
            console=console,
        )
        chosen = [p.strip() for p in answer.split(",") if p.strip()]
        unknown = [p for p in chosen if p not in KNOWN_PROVIDERS]
        if chosen and not unknown and len(set(chosen)) == len(chosen):
            return chosen
        console.print(
            f"[red]choose from {', '.join(KNOWN_PROVIDERS)}, each once[/]"
            + (f" (unknown: {', '.join(unknown)})" if unknown else "")
        )


def adapt(
    base: ProductSpec,
    *,
    name: str,
    description: str,
    framework: str,
    providers: list[str],
    billing: str,
) -> dict[str, object]:
    """The blueprint's data with the answers applied, models filtered to the providers."""
    data = base.model_dump(mode="json", exclude_none=True)
    data["product"] = {"name": name, "description": description}
    data["framework"] = framework
    data["providers"] = providers
    data["billing"] = {"mode": billing}
    models = []
    for model in data["models"]:
        served = {p: n for p, n in model["providers"].items() if p in providers}
        if served:
            models.append({**model, "providers": served})
    data["models"] = models
    kept = {m["id"] for m in models}
    for tier in data["tiers"]:
        tier["allowed_models"] = [m for m in tier["allowed_models"] if m in kept]
    return data


def interview(*, console: Console, cwd: Path | None = None) -> Path:
    """Ask, write ``<slug>.yaml`` in ``cwd`` and return its path."""
    cwd = cwd or Path.cwd()
    names = [b.name for b in list_blueprints()]
    console.print("[bold]archgen new[/]: a few questions (Enter keeps the default).")
    start = Prompt.ask("Start from blueprint", choices=names, default=names[0], console=console)
    base = load_spec(next(b.path for b in list_blueprints() if b.name == start))
    name = Prompt.ask("Product name", default=base.product.name, console=console)
    description = Prompt.ask(
        "One-line description", default=base.product.description, console=console
    )
    framework = Prompt.ask(
        "Framework",
        choices=[f.value for f in Framework],
        default=base.framework.value,
        console=console,
    )
    providers = _ask_providers(console, [p.value for p in base.providers])
    billing = Prompt.ask(
        "Billing mode",
        choices=[b.value for b in BillingMode],
        default=base.billing.mode.value,
        console=console,
    )

    data = adapt(
        base,
        name=name,
        description=description,
        framework=framework,
        providers=providers,
        billing=billing,
    )
    path = cwd / f"{Product(name=name).slug}.yaml"
    if path.exists() and not Confirm.ask(
        f"{path} exists; overwrite?", default=False, console=console
    ):
        raise UsageError(f"{path} exists; not overwritten")
    text = _HEADER.format(blueprint=start) + _to_text(data)
    path.write_text(text, encoding="utf-8")
    console.print(f"[green]wrote[/] {path}")
    parse_spec(text, str(path))  # every rule, located in the file just written
    return path


_HEADER = "# Written by `archgen new` from the {blueprint} blueprint. Edit and regenerate.\n"


def _to_text(data: dict[str, object]) -> str:
    """The canonical spec text; answers that break a model-level rule are written as given,
    so ``parse_spec`` can locate the problem in the written file."""
    try:
        return dump_spec(ProductSpec.model_validate(data))
    except ValidationError:
        return _to_yaml(data)


def _to_yaml(data: dict[str, object]) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # keep the spec's key order
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()
