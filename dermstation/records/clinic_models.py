"""What a clinic on several workstations shares: picture bytes, clinic-wide settings, the workstations.

``stored_images`` holds the image store's bytes when the clinic runs on PostgreSQL (content-addressed:
the key is the sha256 of ``data``); on SQLite the table exists but stays empty (the local folder
serves). ``clinic_settings`` holds one JSON value per key (see ``services/settings.py``).
``workstations`` has one row per installation that opened the database, refreshed at each start.

Migration: ``migrations/versions/0004_clinic_deployment.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from dermstation.records.columns import utcnow
from dermstation.records.models import Base


class StoredImage(Base):
    __tablename__ = "stored_images"
    __table_args__ = (CheckConstraint("size_bytes >= 0", name="size_not_negative"),)

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClinicSetting(Base):
    __tablename__ = "clinic_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Workstation(Base):
    __tablename__ = "workstations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid kept in the data directory
    hostname: Mapped[str] = mapped_column(String(255), default="")
    app_version: Mapped[str] = mapped_column(String(50), default="")
    schema_revision: Mapped[str] = mapped_column(String(100), default="")
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
