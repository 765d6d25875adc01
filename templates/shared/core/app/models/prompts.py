"""Published prompt versions: immutable rows every instance serves from.

Not tenant data: prompts serve every customer, so the table has no ``workspace_id``
and no row-level security. The app's PostgreSQL role may only SELECT and INSERT it
(see migration 0005): a published version can never be changed or deleted by the app.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class PromptVersionRow(Base):
    """One published version of one prompt; ``id`` grows with every publish."""

    __tablename__ = "prompt_versions"
    __table_args__ = (UniqueConstraint("name", "version"),)

    # Monotonic: instances load only the rows past the last id they have seen.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    # Where it was published from: "file" (app/prompts, loaded at sync) or "api".
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
