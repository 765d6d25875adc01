"""What a key may do in its workspace: owners manage billing and keys; members make calls."""

from __future__ import annotations

from typing import Literal

Role = Literal["owner", "member"]
ROLES: tuple[Role, ...] = ("owner", "member")
