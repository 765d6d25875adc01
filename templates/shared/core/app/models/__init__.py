"""The app's tables (SQLAlchemy 2). Importing this package registers them all.

Tenant tables carry ``workspace_id``; on PostgreSQL they are also guarded by
forced row-level security (see ``TENANT_TABLES`` and the first migration).
"""

from app.models.accounts import ApiKey, Entitlement, User, Workspace
from app.models.base import Base, Micros, utcnow
from app.models.billing import BillingCustomer, StripeEvent
from app.models.credits import CreditAccount, CreditEntryKind, CreditGrant, CreditLedgerEntry
from app.models.features import FEATURE_TENANT_TABLES, UNMANAGED, is_unmanaged
from app.models.prompts import PromptVersionRow
from app.models.usage import (
    BillingOutbox,
    CallOutcome,
    UsageBudget,
    UsageDaily,
    UsageEvent,
    UsageWarning,
)

# Tables whose rows belong to one workspace (the column the RLS policy checks).
TENANT_TABLES: dict[str, str] = {
    "workspaces": "id",
    **{
        model.__tablename__: "workspace_id"
        for model in (
            User,
            ApiKey,
            Entitlement,
            UsageEvent,
            BillingOutbox,
            UsageBudget,
            UsageDaily,
            UsageWarning,
            CreditAccount,
            CreditGrant,
            CreditLedgerEntry,
            BillingCustomer,
        )
    },
    **FEATURE_TENANT_TABLES,
}

__all__ = [
    "TENANT_TABLES",
    "UNMANAGED",
    "is_unmanaged",
    "ApiKey",
    "Base",
    "BillingCustomer",
    "BillingOutbox",
    "CallOutcome",
    "CreditAccount",
    "CreditEntryKind",
    "CreditGrant",
    "CreditLedgerEntry",
    "Entitlement",
    "Micros",
    "PromptVersionRow",
    "StripeEvent",
    "UsageBudget",
    "UsageDaily",
    "UsageEvent",
    "UsageWarning",
    "User",
    "Workspace",
    "utcnow",
]
