"""What a key may do: operators run the product (every workspace), owners manage
their own workspace's billing and keys, members make calls."""

from __future__ import annotations

from typing import Literal

Role = Literal["operator", "owner", "member"]
ROLES: tuple[Role, ...] = ("operator", "owner", "member")


def as_role(value: str) -> Role:
    """The role a stored value names; an unknown one (a row edited by hand) acts as a member."""
    for role in ROLES:
        if value == role:
            return role
    return "member"
