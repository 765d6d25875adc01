"""A small spec whose TCO is worked out by hand in ``test_model.py``."""

from __future__ import annotations

from archgen.spec import ProductSpec, parse_spec

WORKED = """\
schema_version: 1
product:
  name: Worked Example
providers: [openai, anthropic]
models:
  - id: cheap
    providers: {openai: cheap-1}
    price: {input_per_mtok: 1, output_per_mtok: 2}
    context_window: 100000
    quality: 0.5
    latency_ms: 500
  - id: smart
    providers: {anthropic: smart-1}
    price: {input_per_mtok: 3, output_per_mtok: 15}
    context_window: 200000
    max_output_tokens: 8192
    quality: 0.9
    latency_ms: 2000
tiers:
  - name: free
    monthly_price: 0
    monthly_cost_cap: 0.50
    requests_per_minute: 10
    allowed_models: [cheap]
  - name: pro
    monthly_price: 20
    monthly_cost_cap: 5
    requests_per_minute: 100
    allowed_models: [cheap, smart]
workflows:
  - name: chat
    unit: message
    min_quality: 0.4
    max_context_tokens: 10000
    max_output_tokens: 1000
    prompt: chat
  - name: report
    unit: report
    min_quality: 0.8
    max_context_tokens: 50000
    max_output_tokens: 4000
    prompt: report
    cache: false
tco:
  mau: [100, 1000, 20000]
  tier_mix: {free: 0.8, pro: 0.2}
  requests_per_user_month: {free: 50, pro: 400}
  workflow_mix: {chat: 0.75, report: 0.25}
  input_fill_ratio: 0.5
  output_fill_ratio: 0.5
  cache_hit_rate: 0.2
  infra:
    - {up_to_mau: 1000, monthly_usd: 50}
    - {up_to_mau: 10000, monthly_usd: 200}
"""


def worked_spec(text: str = WORKED) -> ProductSpec:
    """The worked example (or an edit of it), validated and priced."""
    return parse_spec(text, "worked.yaml")
