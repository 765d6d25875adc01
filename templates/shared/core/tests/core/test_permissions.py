"""The permission table: well formed, and the README's copy is the code's."""

from __future__ import annotations

from pathlib import Path

from app.services.accounts.permissions import (
    PERMISSIONS,
    SCOPES,
    allowed,
    markdown_table,
    scope_of,
)
from app.services.accounts.roles import ROLES

README = Path(__file__).absolute().parents[2] / "README.md"


def test_the_readme_shows_the_table_the_code_enforces() -> None:
    text = README.read_text(encoding="utf-8")
    start, end = "<!-- permissions:start -->\n", "\n<!-- permissions:end -->"
    assert start in text and end in text, "the README lost its permissions section"
    shown = text.split(start, 1)[1].split(end, 1)[0].strip()
    assert shown == markdown_table()


def test_every_grant_names_a_known_role_and_scope() -> None:
    for action, rule in PERMISSIONS.items():
        assert rule.action == action
        assert rule.grants, f"{action}: nobody may take it"
        assert set(rule.grants) <= set(ROLES)
        assert set(rule.grants.values()) <= set(SCOPES)


def test_operators_reach_at_least_as_far_as_owners_and_owners_as_members() -> None:
    order = {None: 0, "self": 1, "workspace": 2, "any": 3}
    for action in PERMISSIONS:
        operator, owner, member = (scope_of(role, action) for role in ROLES)
        assert order[operator] >= order[owner] >= order[member], action


def test_what_the_issue_fixes() -> None:
    # Credits and prompts that serve every customer: the founder's team only.
    for action in ("grant_credits", "publish_prompts"):
        assert [r for r in ROLES if allowed(r, action)] == ["operator"]
        assert scope_of("operator", action) == "any"
    assert scope_of("owner", "manage_keys") == "workspace"
    assert scope_of("operator", "manage_keys") == "any"
    assert not allowed("member", "manage_keys")
    assert scope_of("member", "view_usage") == "self"
    assert PERMISSIONS["grant_credits"].refusal_code == "operator_only"
    assert PERMISSIONS["manage_keys"].refusal_code == "owner_only"
