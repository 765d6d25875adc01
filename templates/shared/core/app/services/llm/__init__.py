"""The LLM gateway's parts: routing, the cascade, calls, attempts, results, adapters.

Callers use ``app.services.llm_gateway`` (``LLMGateway``, ``create_gateway``).
"""
