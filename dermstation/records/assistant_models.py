"""Stored assistant exchanges: every explanation asked for an analysis, and every clinician revision.

Rows are written once and never changed: a clinician's edit or approval is a new row that
``revises_id`` the row it improves, so the history shows what the service said and what the
clinician gave the patient. ``question`` is the *scrubbed* question (what left the machine, or
would have); identifiers typed by the clinician are never stored here.

Migration: ``migrations/versions/0003_assistant_exchanges.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dermstation.records.columns import utcnow
from dermstation.records.models import Base

ORIGINS = ("perplexity", "offline", "clinician")


class AssistantExchange(Base):
    __tablename__ = "assistant_exchanges"
    __table_args__ = (
        CheckConstraint("origin IN ('perplexity', 'offline', 'clinician')", name="origin_known"),
        Index("ix_assistant_exchanges_analysis_created", "analysis_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analyses.id"))
    revises_id: Mapped[int | None] = mapped_column(ForeignKey("assistant_exchanges.id"))
    language: Mapped[str] = mapped_column(String(8))
    question: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"title": ..., "url": ...}]
    origin: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(100), default="")
    notice: Mapped[str] = mapped_column(String(500), default="")
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
