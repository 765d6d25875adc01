"""Prices: from the spec or genai-prices' bundled snapshot, as Decimal, deterministically."""

from __future__ import annotations

import re
import socket
from decimal import Decimal

import pytest
from genai_prices.data_snapshot import get_snapshot
from spec_helpers import BASE, SOURCE, at, edit, problems_of

from archgen.spec import PRICE_REFERENCE_DATE, parse_spec, price_table_version
from archgen.spec import prices as prices_module
from archgen.spec.models import Provider

_ID = re.compile(r"^genai-prices@\d+\.\d+\.\d+:[a-z-]+/[\w.:/-]+@\d{4}-\d{2}-\d{2}$")


def test_prices_come_from_the_snapshot() -> None:
    spec = parse_spec(BASE, SOURCE)
    small = spec.model_by_id("small")
    assert small.price is not None
    assert small.price.id is not None and _ID.match(small.price.id)
    assert small.price.id.startswith(f"genai-prices@{prices_module.genai_prices_version()}:openai/")
    assert small.price.id.endswith(f"@{PRICE_REFERENCE_DATE.isoformat()}")
    # The same figures as asking genai-prices directly, as Decimals.
    _, info = get_snapshot().find_provider_model("gpt-4.1-nano", None, "openai", None)
    expected = info.get_prices(prices_module._REFERENCE_TIME)
    assert small.price.input_per_mtok == expected.input_mtok
    assert small.price.output_per_mtok == expected.output_mtok
    assert small.price.cached_input_per_mtok == expected.cache_read_mtok
    for value in (small.price.input_per_mtok, small.price.output_per_mtok):
        assert type(value) is Decimal


def test_tiered_prices_take_the_base_rate() -> None:
    big = parse_spec(BASE, SOURCE).model_by_id("big")  # claude-sonnet-4-5: tiered above 200k
    assert big.price is not None
    assert (big.price.input_per_mtok, big.price.output_per_mtok) == (Decimal(3), Decimal(15))


def test_the_spec_provider_order_picks_the_price_source() -> None:
    text = edit(
        "providers: [openai, anthropic, google]", "providers: [openrouter, openai, anthropic]"
    )
    text = edit(
        "{openai: gpt-4.1-nano}", "{openai: gpt-4.1-nano, openrouter: openai/gpt-4.1-nano}", text
    )
    small = parse_spec(text, SOURCE).model_by_id("small")
    assert small.price is not None and small.price.id is not None
    assert ":openrouter/openai/gpt-4.1-nano@" in small.price.id


def test_a_spec_price_wins_and_keeps_its_id() -> None:
    text = edit(
        "    latency_ms: 500\n",
        "    latency_ms: 500\n"
        "    price: {input_per_mtok: 0.11, output_per_mtok: 0.44, id: 'contract:2026'}\n",
    )
    small = parse_spec(text, SOURCE).model_by_id("small")
    assert small.price is not None
    assert small.price.input_per_mtok == Decimal("0.11")
    assert small.price.id == "contract:2026"


def test_a_spec_price_without_id_gets_one() -> None:
    text = edit(
        "    latency_ms: 500\n",
        "    latency_ms: 500\n    price: {input_per_mtok: 0.11, output_per_mtok: 0.44}\n",
    )
    small = parse_spec(text, SOURCE).model_by_id("small")
    assert small.price is not None and small.price.id == "spec:small"


def test_an_unpriced_model_is_rejected() -> None:
    text = edit(
        "providers: [openai, anthropic, google]", "providers: [openai, anthropic, huggingface]"
    )
    text = edit(
        "{openai: gpt-4.1-nano}", "{openai: no-such-model-xyz, huggingface: org/model}", text
    )
    problem = at(problems_of(text), "models[0]")
    assert problem.message.startswith("no price known for model 'small'")
    assert "openai as 'no-such-model-xyz'" in problem.message
    assert "huggingface as 'org/model'" in problem.message
    assert "add price: {input_per_mtok: ..., output_per_mtok: ...} to the model" in problem.message
    assert problem.line == 6


def test_huggingface_is_never_looked_up() -> None:
    assert (
        prices_module.snapshot_price(Provider.huggingface, "meta-llama/Llama-3.3-70B-Instruct")
        is None
    )


def test_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    prices_module.snapshot_price.cache_clear()
    prices_module._snapshot.cache_clear()
    try:
        assert parse_spec(BASE, SOURCE).model_by_id("small").price is not None
    finally:
        prices_module.snapshot_price.cache_clear()
        prices_module._snapshot.cache_clear()


def test_price_table_version() -> None:
    spec = parse_spec(BASE, SOURCE)
    version = price_table_version(spec)
    assert re.fullmatch(r"pt-[0-9a-f]{12}", version)
    assert price_table_version(parse_spec(BASE, SOURCE)) == version
    # Unrelated changes and model order do not matter; a price change does.
    reordered = spec.model_copy(update={"models": list(reversed(spec.models))})
    assert price_table_version(reordered) == version
    renamed = parse_spec(edit("name: Test App", "name: Other"), SOURCE)
    assert price_table_version(renamed) == version
    small = spec.models[0]
    assert small.price is not None
    cheaper = small.model_copy(
        update={"price": small.price.model_copy(update={"input_per_mtok": Decimal("0.01")})}
    )
    changed = spec.model_copy(update={"models": [cheaper, *spec.models[1:]]})
    assert price_table_version(changed) != version
    # Same figures written differently (0.10 vs 0.1) or from elsewhere: same version.
    relabelled = small.model_copy(
        update={
            "price": small.price.model_copy(
                update={
                    "id": "spec:x",
                    "input_per_mtok": small.price.input_per_mtok + Decimal("0.00"),
                }
            )
        }
    )
    same = spec.model_copy(update={"models": [relabelled, *spec.models[1:]]})
    assert price_table_version(same) == version
