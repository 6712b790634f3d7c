"""Which workstations use the clinic's database, with their versions, and which are connected now.

Each installation has an id (a uuid in its data directory). At start it records its host name,
DermStation version and schema revision in ``workstations``; on PostgreSQL its connections carry
``DermStation <version> <id>`` as ``application_name``, so ``pg_stat_activity`` tells who is
connected at this moment. On SQLite (one workstation) only this one is ever connected.
"""

from __future__ import annotations

import logging
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

import dermstation
from dermstation.core.config import Paths
from dermstation.core.errors import ConfigError
from dermstation.core.i18n import _
from dermstation.records import migrate
from dermstation.records.clinic_models import Workstation
from dermstation.records.columns import utcnow
from dermstation.records.database import Database
from dermstation.services.permissions import ADMIN_ONLY, authorize
from dermstation.services.types import CurrentUser

log = logging.getLogger(__name__)

APPLICATION_PREFIX = "DermStation"


@dataclass(frozen=True)
class WorkstationInfo:
    id: str
    hostname: str
    app_version: str
    schema_revision: str
    first_seen_at: datetime
    last_seen_at: datetime
    connected: bool
    this_workstation: bool


def workstation_id(paths: Paths) -> str:
    """This installation's id, created on first use and kept in the data directory."""
    path = paths.workstation_id_file
    try:
        if path.is_file():
            value = path.read_text(encoding="ascii").strip()
            if len(value) == 36:
                return str(uuid.UUID(value))
        value = str(uuid.uuid4())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value + "\n", encoding="ascii")
        return value
    except (OSError, ValueError) as exc:
        raise ConfigError(_("Cannot read or create {path}").format(path=path), str(exc)) from exc


def application_name(ws_id: str) -> str:
    """The PostgreSQL ``application_name`` of this workstation's connections (at most 63 bytes)."""
    return f"{APPLICATION_PREFIX} {dermstation.__version__} {ws_id}"[:63]


class WorkstationRegistry:
    def __init__(self, database: Database, ws_id: str) -> None:
        self._db = database
        self.id = ws_id

    def announce(self) -> None:
        """Record (or refresh) this workstation's row: host name, version, schema revision."""
        revision = ",".join(migrate.current_revisions(self._db.engine))
        with self._db.session() as session:
            row = session.get(Workstation, self.id)
            if row is None:
                row = Workstation(id=self.id)
                session.add(row)
            row.hostname = socket.gethostname()[:255]
            row.app_version = dermstation.__version__
            row.schema_revision = revision
            row.last_seen_at = utcnow()

    def list(self, actor: CurrentUser) -> list[WorkstationInfo]:
        """Every workstation that ever opened this database, connected ones first (administrators)."""
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            rows = list(session.scalars(select(Workstation)))
            connected = self._connected_ids(session, [r.id for r in rows])
        infos = [WorkstationInfo(r.id, r.hostname, r.app_version, r.schema_revision, r.first_seen_at,
                                 r.last_seen_at, r.id in connected, r.id == self.id) for r in rows]
        return sorted(infos, key=lambda w: (not w.connected, w.hostname, w.id))

    def _connected_ids(self, session, ids: list[str]) -> set[str]:  # type: ignore[no-untyped-def]
        if self._db.backend != "postgresql":
            return {self.id}
        try:
            with session.begin_nested():
                names = session.execute(text(
                    "SELECT DISTINCT application_name FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name LIKE :prefix"
                ), {"prefix": APPLICATION_PREFIX + " %"}).scalars().all()
        except SQLAlchemyError as exc:  # pg_stat_activity hidden by a restrictive set-up
            log.warning("cannot read pg_stat_activity: %s", type(exc).__name__)
            return {self.id}
        return {ws for ws in ids if any(name.endswith(" " + ws) for name in names)} | {self.id}
