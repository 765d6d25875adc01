"""Build the render context: the only thing templates read.

Plain JSON-able data (Decimals as strings) so Copier can carry it and templates
never compute: anything derived from the spec is derived here, once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from archgen import __version__
from archgen.render.dependencies import runtime_dependencies, test_dependencies
from archgen.render.escape import makefile_comment, markdown_inline, python_str, toml_str
from archgen.spec import price_table_version
from archgen.spec.models import Framework, Model, ProductSpec
from archgen.tco import tco_context

_SERVE = {
    Framework.fastapi: "$(BIN)/uvicorn app.main:app --host 127.0.0.1 --port 8000",
    Framework.flask: '$(BIN)/flask --app "app:create_app()" run --host 127.0.0.1 --port 8000',
}


def _money(value: Decimal | None) -> str | None:
    # normalize() drops trailing zeros; the f-format avoids exponents like 1E+1.
    return None if value is None else f"{value.normalize():f}"


def _model(spec: ProductSpec, model: Model) -> dict[str, Any]:
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


def build_context(spec: ProductSpec, framework: Framework) -> dict[str, Any]:
    """Everything the templates need, for one framework."""
    data = spec.model_dump(mode="json")
    is_async = framework is Framework.fastapi
    return {
        **data,
        "framework": framework.value,
        "framework_label": "FastAPI (async)" if is_async else "Flask (sync)",
        "is_async": is_async,
        "web_dir": "app/routers" if is_async else "app/blueprints",
        "serve_command": _SERVE[framework],
        "providers": [p.value for p in spec.providers],
        "models": [_model(spec, m) for m in spec.models],
        "tiers": [
            {
                **t.model_dump(mode="json"),
                "monthly_price": _money(t.monthly_price),
                "monthly_cost_cap": _money(t.monthly_cost_cap),
            }
            for t in spec.tiers
        ],
        "workflows": [
            {**w.model_dump(mode="json"), "soft_daily_cost": _money(w.soft_daily_cost)}
            for w in spec.workflows
        ],
        # Spec free text, escaped for the file format each entry is printed into.
        "literals": {
            "product_name": python_str(spec.product.name),
            "product_description": toml_str(spec.product.description),
            "product_name_markdown": markdown_inline(spec.product.name),
            "product_description_markdown": markdown_inline(spec.product.description),
            "product_name_makefile_comment": makefile_comment(spec.product.name),
            "unit_markdown": {w.name: markdown_inline(w.unit) for w in spec.workflows},
        },
        "price_table_version": price_table_version(spec),
        "tco": tco_context(spec),
        "dependencies": runtime_dependencies(framework),
        "test_dependencies": test_dependencies(framework),
        "archgen_version": __version__,
    }
