"""How much time the LLM gateway itself adds to a model call.

Runs the fake upstreams from ``tests/fakes`` on 127.0.0.1 (one per wire format,
every provider pointed at its format's fake) and times, side by side in one run:

- direct:  the same HTTP transport the gateway uses, posting the very request
           body the gateway would send, and parsing the JSON answer;
- gateway: ``LLMGateway.chat`` on the product's catalog (routing, adapter,
           usage, Decimal cost, attempt records, logging), same fake, same pool.

Calls alternate (direct, gateway, direct, ...) so drift hits both alike; the
difference of the medians is the gateway's own overhead (target: under 1 ms).
Streaming is measured the same way. Usage::

    python benchmarks/gateway_overhead.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).absolute().parents[1]))  # the project root

from app.core import catalog
from app.core.flavour import IS_ASYNC, Call, run
from app.services.llm.adapters import adapter_for
from app.services.llm.settings import GatewaySettings, ProviderSettings
from app.services.llm.sse import SseDecoder
from app.services.llm.transport import HttpTransport
from app.services.llm.types import ChatRequest, Message
from app.services.llm_gateway import LLMGateway
from tests.fakes.upstream import FakeUpstream

WIRE_OF = {
    "openai": "openai",
    "openrouter": "openai",
    "deepseek": "openai",
    "huggingface": "openai",
    "anthropic": "anthropic",
    "google": "gemini",
}
REQUEST = ChatRequest(
    messages=(
        Message("system", "You summarise documents in three sentences."),
        Message("user", "Summarise: the quarterly report shows revenue up 12% on strong demand."),
    ),
    max_output_tokens=200,
)
MAX_REQUESTS = 50_000


async def _timed(call: Call[object]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


def _row(name: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return f"{name:<22}{statistics.median(samples):>10.3f}{p95:>10.3f}"


async def measure(requests: int) -> None:
    """Run the benchmark and print median and p95 per call, in milliseconds."""
    fakes = {wire: FakeUpstream(wire).start() for wire in ("openai", "anthropic", "gemini")}
    try:
        providers = {
            name: ProviderSettings(name=name, keys=("sk-bench",), base_url=fakes[wire].base_url)
            for name, wire in WIRE_OF.items()
        }
        settings = GatewaySettings(providers=providers, timeout_seconds=30)
        transport = HttpTransport(connect_timeout=5, read_timeout=30)
        gateway = LLMGateway(
            settings,
            models=catalog.MODELS,
            providers=catalog.PROVIDERS,
            strategy=catalog.ROUTING_STRATEGY,
            circuit_breaker=catalog.CIRCUIT_BREAKER,
            transport=transport,
        )
        workflow = catalog.WORKFLOWS[catalog.DEFAULT_WORKFLOW]
        tier = next(iter(catalog.TIERS.values()))
        route = gateway.route(REQUEST, workflow=workflow, tier=tier)
        model = route.models[0]
        provider, remote_model = next(r for r in model.routes if r[0] in gateway.providers)
        adapter = adapter_for(provider)

        def wire(stream: bool) -> tuple[str, bytes, dict[str, str]]:
            built = adapter.build(
                base_url=providers[provider].base_url,
                key="sk-bench",
                model=remote_model,
                request=REQUEST,
                max_output_tokens=min(200, model.max_output_tokens),
                stream=stream,
            )
            return built.url, built.body, built.headers

        plain, streamed = wire(False), wire(True)

        async def direct_chat() -> None:
            response = await transport.post(*plain)
            json.loads(response.body)

        async def gateway_chat() -> None:
            await gateway.chat(REQUEST, workflow=workflow, tier=tier)

        async def direct_stream() -> None:
            upstream = await transport.open_stream(*streamed)
            decoder = SseDecoder()
            try:
                while chunk := await upstream.next_chunk():
                    for event in decoder.feed(chunk):
                        if event.data != "[DONE]":
                            json.loads(event.data)
            finally:
                await upstream.aclose()

        async def gateway_stream() -> None:
            async with gateway.stream(REQUEST, workflow=workflow, tier=tier) as stream:
                async for _event in stream:
                    pass

        flavour = "asyncio + aiohttp" if IS_ASYNC else "threads + urllib3"
        print(f"gateway overhead, {flavour}: {requests} calls each; {model.id} via {provider}")
        print(f"{'':<22}{'median ms':>10}{'p95 ms':>10}")
        for label, direct, via_gateway in (
            ("chat", direct_chat, gateway_chat),
            ("stream", direct_stream, gateway_stream),
        ):
            for _ in range(min(200, requests)):  # warm the pool and the code paths
                await direct()
                await via_gateway()
            direct_ms: list[float] = []
            gateway_ms: list[float] = []
            for _ in range(requests):
                direct_ms.append(await _timed(direct))
                gateway_ms.append(await _timed(via_gateway))
            overhead = statistics.median(gateway_ms) - statistics.median(direct_ms)
            print(_row(f"{label}: direct", direct_ms))
            print(_row(f"{label}: gateway", gateway_ms))
            verdict = "ok" if overhead < 1.0 else "ABOVE the 1 ms target"
            print(f"{label}: overhead (median) {overhead:.3f} ms ({verdict})")
        await gateway.aclose()
    finally:
        for fake in fakes.values():
            fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=2_000, help="calls per variant")
    args = parser.parse_args()
    requests = max(1, min(args.requests, MAX_REQUESTS))
    run(lambda: measure(requests))


if __name__ == "__main__":
    main()
