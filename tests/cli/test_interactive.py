"""`archgen new` on a real terminal (a pseudo-terminal): asks, writes the spec, renders."""

from __future__ import annotations

import sys
from pathlib import Path

import pexpect
from ruamel.yaml import YAML


def test_asks_writes_the_spec_and_renders(tmp_path: Path) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "archgen", "new", "--no-verify", "--out", str(tmp_path / "out")],
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )
    child.expect("Start from blueprint")
    child.sendline("ai-saas")
    child.expect("Product name")
    child.sendline("Tiny Bot")
    child.expect("description")
    child.sendline("A tiny bot.")
    child.expect("Framework")
    child.sendline("flask")
    child.expect("Providers")
    child.sendline("openai, gogle")  # a typo is asked again, nothing lost
    child.expect("choose from")
    child.expect("Providers")
    child.sendline("openai, anthropic")
    child.expect("Billing mode")
    child.sendline("prepaid_credits")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0, child.before
    spec = YAML(typ="safe").load((tmp_path / "tiny-bot.yaml").read_text())
    assert spec["framework"] == "flask"
    assert spec["providers"] == ["openai", "anthropic"]
    assert spec["billing"] == {"mode": "prepaid_credits"}
    served = {p for m in spec["models"] for p in m["providers"]}
    assert served <= {"openai", "anthropic"}
    assert (tmp_path / "out" / "app" / "blueprints" / "health_bp.py").is_file()
