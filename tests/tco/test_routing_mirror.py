"""The model's routing mirror picks what the generated router really picks.

Each blueprint is rendered and its own ``plan_route`` is asked, in a subprocess, for
the first candidate on every tier and workflow at the token counts the model assumed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archgen.render import write_tree
from archgen.resources import blueprints_dir
from archgen.spec import load_spec
from archgen.tco import compute_tco
from tests.render.projects import BLUEPRINTS, rendered

ASK_ROUTER = """
import json, sys
from app.core.catalog import MODELS, ROUTING_STRATEGY, TIERS, WORKFLOWS
from app.services.llm.errors import NoRouteError
from app.services.llm.pricing import MESSAGE_OVERHEAD_TOKENS
from app.services.llm.routing import plan_route
from app.services.llm.types import ChatRequest, Message

answers = []
for tier, workflow, tokens in json.load(sys.stdin):
    wf = WORKFLOWS[workflow]
    # One user message of exactly `tokens` estimated tokens (four characters a token).
    text = "x" * (4 * (tokens - MESSAGE_OVERHEAD_TOKENS))
    request = ChatRequest(messages=(Message("user", text),), max_output_tokens=wf.max_output_tokens)
    try:
        route = plan_route(request, workflow=wf, tier=TIERS[tier], models=MODELS,
                           strategy=ROUTING_STRATEGY)
        answers.append(route.models[0].id)
    except NoRouteError:
        answers.append(None)
json.dump(answers, sys.stdout)
"""


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_expected_model_is_the_generated_routers_first_choice(
    blueprint: str, tmp_path: Path
) -> None:
    project = rendered(blueprint, "fastapi")
    write_tree(project, tmp_path / "project", force=True)
    report = compute_tco(load_spec(blueprints_dir() / f"{blueprint}.yaml"))
    cases = [
        (unit.tier, w.workflow, w.input_tokens, w.model)
        for unit in report.units
        for w in unit.workflows
    ]
    answer = subprocess.run(
        [sys.executable, "-c", ASK_ROUTER],
        input=json.dumps([case[:3] for case in cases]),
        capture_output=True,
        text=True,
        cwd=tmp_path / "project",
        check=True,
        timeout=120,
    )
    picked = json.loads(answer.stdout)
    assert picked == [case[3] for case in cases]
