"""``GET /metrics``: the Prometheus text, for operator keys only."""

from __future__ import annotations

from app.core.metrics import exposition
from app.services import metrics
from app.services.api.auth import Caller
from app.services.api.calls import MeteredCalls
from app.services.llm_gateway import LLMGateway

class ObservabilityApi(MeteredCalls):
    """What operators watch: the metrics of this process and of the shared database."""

    async def metrics(self, caller: Caller) -> bytes:
        """The Prometheus exposition text (403 ``operator_only`` for other keys)."""
        caller.require("view_metrics")
        gateway = self.runtime.usage.gateway
        breakers: dict[str, str] = {}
        if isinstance(gateway, LLMGateway):
            breakers = {name: str(state["circuit"]) for name, state in gateway.status().items()}
        snapshot = await metrics.snapshot(self.runtime.db, breakers)
        return exposition(snapshot)
