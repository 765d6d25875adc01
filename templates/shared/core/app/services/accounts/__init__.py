"""Accounts: workspaces (the tenants), their users, API keys and roles.

``Accounts`` creates and changes them; ``create_key`` / ``create_demo_key`` are
what operators use (``python -m app keys``); ``keyring`` lists, revokes and rotates
keys, ``plans.change_tier`` changes a workspace's plan, ``permissions`` says which
role may do what. Tables: ``app.models.accounts``.
"""

from app.services.accounts.keys import KEY_PREFIX, IssuedKey, hash_key
from app.services.accounts.provisioning import (
    DEMO_TIER,
    DEMO_WORKSPACE,
    CreatedKey,
    KeyRequestError,
    create_demo_key,
    create_key,
)
from app.services.accounts.roles import ROLES, Role
from app.services.accounts.service import Accounts, Principal

__all__ = [
    "DEMO_TIER",
    "DEMO_WORKSPACE",
    "KEY_PREFIX",
    "ROLES",
    "Accounts",
    "CreatedKey",
    "IssuedKey",
    "KeyRequestError",
    "Principal",
    "Role",
    "create_demo_key",
    "create_key",
    "hash_key",
]
