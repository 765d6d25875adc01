"""Exact cache: hit, miss, expiry, key fields, opt-outs and tenant isolation."""

from __future__ import annotations

import uuid
from dataclasses import replace
from decimal import Decimal
from time import perf_counter

import pytest

from app.core.catalog import DEFAULT_WORKFLOW, WORKFLOWS
from app.services.cache import (
    CACHE_PROVIDER,
    CacheMatch,
    CacheMode,
    CacheQuery,
    RedisCacheBackend,
    ResponseCache,
    cache_redis_client,
)
from app.services.llm.types import ChatRequest, Message
from tests.core.cache.helpers import (
    OTHER_MODEL,
    CacheEnv,
    make_cache,
    make_query,
    make_result,
)


async def test_miss_then_hit_with_the_original_cost_as_savings(env: CacheEnv) -> None:
    cache = make_cache(env, semantic_enabled=False)
    query = make_query()

    assert await cache.lookup(query) is None
    assert await cache.store(query, make_result(cost="0.0021"))
    hit = await cache.lookup(query)

    assert hit is not None
    assert (hit.text, hit.match, hit.similarity) == ("Paris.", CacheMatch.exact, 1.0)
    assert hit.prompt_version == "geo@v1"
    assert hit.cost_usd == hit.saved_usd == Decimal("0.0021")
    assert hit.usage.input_tokens == 40  # what the original call used
    served = hit.to_result()
    assert served.provider == CACHE_PROVIDER
    assert served.cost_usd == 0
    assert served.attempts == ()
    assert (served.usage.input_tokens, served.usage.output_tokens) == (0, 0)


async def test_unknown_original_cost_stays_unknown(env: CacheEnv) -> None:
    cache = make_cache(env)
    await cache.store(make_query(), make_result(cost=None))

    hit = await cache.lookup(make_query())
    assert hit is not None
    assert hit.saved_usd is None


async def test_input_is_normalised(env: CacheEnv) -> None:
    cache = make_cache(env, semantic_enabled=False)
    await cache.store(make_query("What is the capital of France?"), make_result())

    assert await cache.lookup(make_query("  What is the capital of France?  \r\n")) is not None
    assert await cache.lookup(make_query("What is the capital of Spain?")) is None


async def test_every_key_field_separates_entries(env: CacheEnv) -> None:
    cache = make_cache(env, semantic_enabled=False)
    await cache.store(make_query(), make_result())

    for different in (
        make_query(model=OTHER_MODEL + "-x"),
        make_query(prompt_version="geo@v2"),
        make_query(workflow="other_workflow"),
        make_query(system="You answer history questions."),
        make_query(max_output_tokens=4000),
    ):
        assert await cache.lookup(different) is None, different


async def test_entries_expire_after_the_ttl(env: CacheEnv) -> None:
    cache = make_cache(env, ttl_seconds=0.3)
    await cache.store(make_query(), make_result())
    assert await cache.lookup(make_query()) is not None

    await env.pass_time(0.45)

    assert await cache.lookup(make_query()) is None


async def test_a_workspace_never_gets_another_workspaces_answer(env: CacheEnv) -> None:
    cache = make_cache(env)
    await cache.store(make_query(workspace="ws-a"), make_result("Answer for A."))

    assert await cache.lookup(make_query(workspace="ws-b")) is None
    # Ids that could collide in a naive key scheme ("a:b" + "c" vs "a" + "b:c").
    await cache.store(make_query(workspace="a:b"), make_result("Answer for a:b."))
    assert await cache.lookup(make_query(workspace="a")) is None
    assert await cache.lookup(make_query(workspace="a:b:")) is None
    assert await cache.lookup(make_query(workspace="{ws-a}")) is None

    await cache.store(make_query(workspace="ws-b"), make_result("Answer for B."))
    hit_a = await cache.lookup(make_query(workspace="ws-a"))
    hit_b = await cache.lookup(make_query(workspace="ws-b"))
    assert hit_a is not None and hit_a.text == "Answer for A."
    assert hit_b is not None and hit_b.text == "Answer for B."


async def test_keys_are_namespaced_per_workspace(env: CacheEnv) -> None:
    cache = make_cache(env)
    await cache.store(make_query(workspace="ws-a"), make_result())
    assert make_query(workspace="ws-a").namespace == "{ws-a}"
    if env.redis is None:
        return
    keys = [key.decode() async for key in env.redis.scan_iter(match=f"{env.prefix}*")]
    assert keys
    assert all(key.startswith(env.prefix + "{ws-a}:") for key in keys)


async def test_request_opt_outs(env: CacheEnv) -> None:
    cache = make_cache(env)

    assert not await cache.store(make_query(mode=CacheMode.off), make_result())
    assert await cache.lookup(make_query()) is None

    assert await cache.store(make_query(mode=CacheMode.refresh), make_result("Fresh."))
    assert await cache.lookup(make_query(mode=CacheMode.refresh)) is None
    assert await cache.lookup(make_query(mode=CacheMode.off)) is None
    hit = await cache.lookup(make_query())
    assert hit is not None and hit.text == "Fresh."


async def test_workflow_and_spec_opt_outs(env: CacheEnv) -> None:
    workflow = WORKFLOWS[DEFAULT_WORKFLOW]
    request = ChatRequest(messages=(Message("user", "Hi"),), max_output_tokens=10)
    opted_out = CacheQuery.from_request(
        request,
        workspace_id="ws-a",
        workflow=replace(workflow, cache=False),
        prompt_version="geo@v1",
    )
    assert opted_out.mode is CacheMode.off
    opted_in = replace(opted_out, mode=CacheMode.use)
    assert opted_in.exact_digest() == opted_out.exact_digest()  # the mode is not in the key

    # The catalog's `cache: false` is honoured even for a query built by hand.
    no_cache = {"geo_answers": replace(workflow, name="geo_answers", cache=False)}
    cache = make_cache(env, workflows=no_cache)
    assert not cache.active(make_query())
    assert not await cache.store(make_query(), make_result())
    cached = {"geo_answers": replace(workflow, name="geo_answers", cache=True)}
    assert make_cache(env, workflows=cached).active(make_query())

    disabled = make_cache(env, exact_enabled=False, semantic_enabled=False)
    assert not await disabled.store(make_query(), make_result())
    assert await make_cache(env).lookup(make_query()) is None


async def test_local_empty_and_replayed_answers_are_not_stored(env: CacheEnv) -> None:
    cache = make_cache(env)

    assert not await cache.store(make_query(), make_result(local=True))
    assert not await cache.store(make_query(), make_result(""))
    assert not await cache.store(make_query(), make_result(provider=CACHE_PROVIDER))
    assert await cache.lookup(make_query()) is None


async def test_streamed_text_can_be_given_and_partial_answers_are_not_stored(
    env: CacheEnv,
) -> None:
    cache = make_cache(env)

    assert not await cache.store(make_query(), replace(make_result(), finish_reason="cancelled"))
    assert await cache.lookup(make_query()) is None
    assert await cache.store(make_query(), make_result(""), text="Joined deltas.")
    hit = await cache.lookup(make_query())
    assert hit is not None and hit.text == "Joined deltas."


def test_workspace_ids_may_be_uuids_but_never_empty() -> None:
    workspace = uuid.uuid4()
    request = ChatRequest(messages=(Message("user", "Hi"),), max_output_tokens=10)

    query = CacheQuery.from_request(
        request, workspace_id=workspace, workflow=WORKFLOWS[DEFAULT_WORKFLOW], prompt_version="p@v1"
    )

    assert query.workspace_id == str(workspace)
    with pytest.raises(ValueError, match="workspace id"):
        make_query(workspace="")


def test_from_request_splits_the_system_prompt() -> None:
    request = ChatRequest(
        messages=(Message("system", "Be brief."), Message("user", "Hi")),
        max_output_tokens=50,
        temperature=0.2,
    )
    query = CacheQuery.from_request(
        request,
        workspace_id="ws-a",
        workflow=WORKFLOWS[DEFAULT_WORKFLOW],
        prompt_version="geo@v1",
    )

    assert query.system_prompt == "Be brief."
    assert query.messages == (Message("user", "Hi"),)
    assert query.model == "auto"
    assert (query.max_output_tokens, query.temperature) == (50, 0.2)


async def test_an_unreachable_redis_degrades_to_misses() -> None:
    client = cache_redis_client("redis://127.0.0.1:1/0")  # nothing listens on port 1
    started = perf_counter()
    cache = ResponseCache(
        RedisCacheBackend(client, prefix="unreachable:", owns_client=True),
        exact_enabled=True,
        semantic_enabled=True,
    )
    try:
        assert not await cache.store(make_query(), make_result())
        assert await cache.lookup(make_query()) is None
        assert perf_counter() - started < 2  # fails fast: no retry backoff
    finally:
        await cache.close()
