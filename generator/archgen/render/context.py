"""Build the render context: the only thing templates read.

``RenderContext`` is built once per render (``build_context``) and derives
everything templates need from the spec, so templates never compute. Copier
carries plain JSON-able data, which ``RenderContext.to_template_data`` provides
(Decimals as strings); templates read it as ``ctx``.

To add something for the templates: add a field here (with a default when it is
optional), fill it in ``build_context``, and read it as ``ctx.<field>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from archgen import __version__
from archgen.render.dependencies import runtime_dependencies
from archgen.render.escape import makefile_comment, markdown_inline, python_str, toml_str
from archgen.render.flavour import Flavour, flavour_of
from archgen.spec import price_table_version
from archgen.spec.models import Framework, Model, ProductSpec
from archgen.tco import tco_context

JSON = dict[str, Any]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _money(value: Decimal | None) -> str | None:
    # normalize() drops trailing zeros; the f-format avoids exponents like 1E+1.
    return None if value is None else f"{value.normalize():f}"


def _model(spec: ProductSpec, model: Model) -> JSON:
    price = model.price
    assert price is not None, "prices are resolved before rendering"
    routes = [
        [provider.value, model.providers[provider] or model.id]
        for provider in spec.providers
        if provider in model.providers
    ]
    return {
        "id": model.id,
        "routes": routes,
        "price": {
            "input_per_mtok": _money(price.input_per_mtok),
            "output_per_mtok": _money(price.output_per_mtok),
            # Providers without a cache-read price bill cached tokens as input.
            "cached_input_per_mtok": _money(
                price.cached_input_per_mtok
                if price.cached_input_per_mtok is not None
                else price.input_per_mtok
            ),
            "id": price.id,
        },
        "context_window": model.context_window,
        "max_output_tokens": model.max_output_tokens,
        "quality": model.quality,
        "latency_ms": model.latency_ms,
    }


@dataclass(frozen=True, slots=True)
class RenderContext:
    """Everything the templates of one project read, for one flavour.

    ``spec`` is the whole validated spec as JSON data; the other fields are derived
    from it (money as normalised strings, models with their routes in cascade order).
    """

    spec: Mapping[str, Any]
    flavour: Flavour
    product: Mapping[str, Any]  # name, slug, description
    providers: tuple[str, ...]  # cascade order
    models: tuple[JSON, ...]
    tiers: tuple[JSON, ...]
    workflows: tuple[JSON, ...]
    # Free text escaped for each target format: name -> ready-to-paste literal.
    literals: Mapping[str, str | Mapping[str, str]]
    price_table_version: str
    archgen_version: str = __version__
    # The TCO model as JSON-able data (``archgen.tco``); empty when not computed.
    tco: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    @property
    def framework(self) -> Framework:
        return self.flavour.framework

    def to_template_data(self) -> JSON:
        """Plain JSON-able data for Copier (``data={"ctx": ...}``).

        The spec's own sections (``billing``, ``routing``, ``cache``, ...) come through
        as they are; derived fields override them.
        """
        flavour = self.flavour.to_template_data()
        if self.spec.get("knowledge") is not None:
            flavour["dependencies"] = runtime_dependencies(self.framework, knowledge=True)
        return {
            **self.spec,
            "product": dict(self.product),
            "providers": list(self.providers),
            "models": list(self.models),
            "tiers": list(self.tiers),
            "workflows": list(self.workflows),
            "literals": dict(self.literals),
            "price_table_version": self.price_table_version,
            "archgen_version": self.archgen_version,
            "tco": dict(self.tco),
            "flavour": flavour,
        }


def build_context(
    spec: ProductSpec,
    framework: Framework | None = None,
    *,
    tco: Mapping[str, Any] | None = None,
) -> RenderContext:
    """The render context of ``spec`` (validated, prices resolved) for ``framework``."""
    flavour = flavour_of(framework or spec.framework)
    data = spec.model_dump(mode="json")
    # What a meter unit costs (derived for cost_micros meters), as exact decimal text.
    data["billing"]["meter"]["unit_price"] = format(spec.billing.meter.price_per_unit(), "f")
    return RenderContext(
        spec=MappingProxyType(data),
        flavour=flavour,
        product=MappingProxyType(data["product"]),
        providers=tuple(p.value for p in spec.providers),
        models=tuple(_model(spec, m) for m in spec.models),
        tiers=tuple(
            {
                **t.model_dump(mode="json"),
                "monthly_price": _money(t.monthly_price),
                "monthly_cost_cap": _money(t.monthly_cost_cap),
            }
            for t in spec.tiers
        ),
        workflows=tuple(
            {**w.model_dump(mode="json"), "soft_daily_cost": _money(w.soft_daily_cost)}
            for w in spec.workflows
        ),
        # Spec free text, escaped for the file format each entry is printed into.
        literals=MappingProxyType(
            {
                "product_name": python_str(spec.product.name),
                "product_description": toml_str(spec.product.description),
                "product_name_markdown": markdown_inline(spec.product.name),
                "product_description_markdown": markdown_inline(spec.product.description),
                "product_name_makefile_comment": makefile_comment(spec.product.name),
                "unit_markdown": {w.name: markdown_inline(w.unit) for w in spec.workflows},
            }
        ),
        price_table_version=price_table_version(spec),
        tco=MappingProxyType(dict(tco if tco is not None else tco_context(spec))),
    )
