"""The LLM gateway's parts (adapters, routing, keys, pricing); use ``app.services.llm_gateway``."""
