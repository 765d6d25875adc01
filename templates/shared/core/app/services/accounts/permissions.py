"""Who may do what: the one permission table every endpoint and the README follow.

Each action lists the roles allowed to take it and how far each one reaches:

- ``self``: the caller's own user only (a member's own usage, its own calls);
- ``workspace``: anything in the caller's own workspace;
- ``any``: every workspace (operators; a request names the workspace it acts on).

A role missing from an action's row is refused with a 403 (or, for what only shapes
an answer, such as dollar amounts, is shown nothing). Adding an action is one entry
in ``PERMISSIONS`` (the README's table and the contract suite's probes follow it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.services.accounts.roles import ROLES, Role

Scope = Literal["self", "workspace", "any"]
SCOPES: tuple[Scope, ...] = ("self", "workspace", "any")
# How a scope reads in the README's table.
SCOPE_TEXT: dict[Scope, str] = {
    "self": "own user",
    "workspace": "own workspace",
    "any": "any workspace",
}


@dataclass(frozen=True, slots=True)
class Permission:
    """One action: where it is taken (endpoints, commands) and who may take it."""

    action: str
    where: str
    grants: dict[Role, Scope]
    # What a refused role gets: a 403, or (for what only shapes an answer) nothing shown.
    refused: Literal["403", "hidden"] = "403"

    def scope(self, role: Role) -> Scope | None:
        """How far ``role`` reaches with this action; None when it may not take it."""
        return self.grants.get(role)

    @property
    def refusal_code(self) -> str:
        """The 403's ``code`` for the roles refused: who the action is kept for."""
        allowed = set(self.grants)
        if allowed == {"operator"}:
            return "operator_only"
        if allowed == {"operator", "owner"}:
            return "owner_only"
        return "role_forbidden"


def _rule(
    action: str, where: str, refused: Literal["403", "hidden"] = "403", **grants: Scope
) -> tuple[str, Permission]:
    unknown = set(grants) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)} for {action}")
    ordered: dict[Role, Scope] = {role: grants[role] for role in ROLES if role in grants}
    return action, Permission(action, where, ordered, refused)


PERMISSIONS: dict[str, Permission] = dict(
    [
        _rule(
            "call_models",
            "`POST /v1/chat`, `POST /v1/chat/completions`, `GET /v1/models`",
            operator="workspace",
            owner="workspace",
            member="workspace",
        ),
        _rule(
            "view_usage",
            "`GET /v1/usage` (`?user=`: another user of the workspace, or `all`)",
            operator="workspace",
            owner="workspace",
            member="self",
        ),
        _rule(
            "view_costs",
            "dollar amounts in usage, chat answers, warnings and 402 errors",
            refused="hidden",
            operator="workspace",
            owner="workspace",
        ),
        _rule(
            "give_feedback",
            "`POST /v1/usage/{event_id}/feedback`",
            operator="workspace",
            owner="workspace",
            member="self",
        ),
        _rule(
            "view_credits",
            "`GET /v1/credits`",
            operator="workspace",
            owner="workspace",
            member="workspace",
        ),
        _rule(
            "grant_credits",
            "`POST /v1/credits` (`workspace`: any workspace's id or name)",
            operator="any",
        ),
        _rule(
            "list_prompts",
            "`GET /v1/prompts`",
            operator="workspace",
            owner="workspace",
            member="workspace",
        ),
        _rule(
            "publish_prompts",
            "`POST /v1/prompts` (a version serves every workspace)",
            operator="any",
        ),
        _rule(
            "manage_keys",
            "`GET /v1/keys`, `POST /v1/keys`, `DELETE /v1/keys/{id}` (`workspace`: operators)",
            operator="any",
            owner="workspace",
        ),
        _rule(
            "manage_billing",
            "`POST /v1/billing/checkout`, `POST /v1/billing/portal`",
            operator="workspace",
            owner="workspace",
        ),
        _rule(
            "view_reports",
            "`GET /v1/reports/*`, the `/admin` dashboard (operators: every workspace, named)",
            operator="any",
            owner="workspace",
        ),
        _rule(
            "view_metrics",
            "`GET /metrics` (Prometheus text of every workspace)",
            operator="any",
        ),
    ]
)


def permission(action: str) -> Permission:
    """The table's row for ``action`` (a KeyError for an action nobody defined)."""
    return PERMISSIONS[action]


def scope_of(role: Role, action: str) -> Scope | None:
    """How far ``role`` reaches with ``action``; None when it is refused."""
    return permission(action).scope(role)


def allowed(role: Role, action: str) -> bool:
    """Whether ``role`` may take ``action`` at all."""
    return scope_of(role, action) is not None


def markdown_table() -> str:
    """The table as the generated README shows it (one row per action)."""
    lines = [
        "| action | where | " + " | ".join(f"`{role}`" for role in ROLES) + " |",
        "| --- | --- | " + " | ".join("---" for _ in ROLES) + " |",
    ]
    for rule in PERMISSIONS.values():
        cells = [SCOPE_TEXT[scope] if (scope := rule.scope(r)) else rule.refused for r in ROLES]
        lines.append(f"| `{rule.action}` | {rule.where} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
