"""The referral-hospital directory: search, admin edits, CSV import/export, suggestions by distance.

CSV import is *partial*: every valid row is saved in one transaction, each invalid row is skipped
and reported (row number, field, message). A row whose name and city match an entry already in the
directory updates that entry instead of adding a twin.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dermstation.core.config import PROJECT_ROOT
from dermstation.core.domain import AuditAction
from dermstation.core.errors import RecordNotFound, ValidationError
from dermstation.core.i18n import _
from dermstation.records.database import Database
from dermstation.records.models import ReferralHospital
from dermstation.services.audit import AuditLog
from dermstation.services.permissions import ADMIN_ONLY, ALL_ROLES, authorize
from dermstation.services.reception_types import (
    HospitalInfo,
    HospitalInput,
    HospitalSuggestion,
    ImportReport,
    RowError,
)
from dermstation.services.settings import SettingsStore
from dermstation.services.specialties import parse_specialty, specialties_for_diagnosis
from dermstation.services.types import CurrentUser

log = logging.getLogger(__name__)

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
SAMPLE_DIRECTORY = PROJECT_ROOT / "resources" / "sample_hospitals.csv"
CSV_COLUMNS = (
    "name", "address", "city", "country", "phone", "email", "website",
    "latitude", "longitude", "specialties", "accepts_referrals", "sample",
)
MAX_IMPORT_ROWS = 10_000
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_WEBSITE = re.compile(r"(https?://)?[^\s/]+\.[^\s]+", re.IGNORECASE)
_YES = {"yes", "y", "true", "1", "ja", "oui", "sí", "si"}
_NO = {"no", "n", "false", "0", "nein", "non"}
_COORDS = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*[,;\s]\s*(-?\d+(?:[.,]\d+)?)\s*$")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def parse_location(text: str) -> tuple[float, float]:
    """"52.52, 13.40" (or "52,52 13,40" / "52.52;13.40") as (latitude, longitude)."""
    match = _COORDS.match(text)
    if match is None:
        raise ValidationError(
            _("Type the location as latitude, longitude (for example 52.52, 13.40)."), field="location"
        )
    lat, lon = (float(part.replace(",", ".")) for part in match.groups())
    _check_coordinates(lat, lon)
    return lat, lon


def _check_coordinates(lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        raise ValidationError(_("Enter both latitude and longitude, or neither."), field="latitude")
    if lat is not None and not (-90 <= lat <= 90 and math.isfinite(lat)):
        raise ValidationError(_("The latitude must be between -90 and 90."), field="latitude")
    if lon is not None and not (-180 <= lon <= 180 and math.isfinite(lon)):
        raise ValidationError(_("The longitude must be between -180 and 180."), field="longitude")


def clean_hospital_input(data: HospitalInput) -> HospitalInput:
    """Trimmed, validated input; raises ValidationError naming the first bad field."""
    errors = hospital_errors(data)
    if errors:
        field, message = errors[0]
        raise ValidationError(message, field=field)
    return HospitalInput(
        name=data.name.strip(),
        address=data.address.strip(),
        city=data.city.strip(),
        country=data.country.strip(),
        phone=data.phone.strip(),
        email=data.email.strip(),
        website=data.website.strip(),
        latitude=data.latitude,
        longitude=data.longitude,
        specialties=tuple(dict.fromkeys(parse_specialty(s) or s for s in data.specialties)),
        accepts_referrals=bool(data.accepts_referrals),
    )


def hospital_errors(data: HospitalInput) -> list[tuple[str, str]]:
    """Every (field, message) wrong with ``data`` (empty if it is valid)."""
    errors: list[tuple[str, str]] = []
    name = data.name.strip()
    if not name:
        errors.append(("name", _("Please enter the name.")))
    elif len(name) > 200:
        errors.append(("name", _("The name is too long.")))
    for field, value, limit in (
        ("city", data.city, 100), ("country", data.country, 100), ("phone", data.phone, 50),
        ("email", data.email, 254), ("website", data.website, 300), ("address", data.address, 1000),
    ):
        if len(value.strip()) > limit:
            errors.append((field, _("This value is too long.")))
    if data.email.strip() and not _EMAIL.fullmatch(data.email.strip()):
        errors.append(("email", _("This is not an e-mail address.")))
    if data.website.strip() and not _WEBSITE.fullmatch(data.website.strip()):
        errors.append(("website", _("This is not a web address.")))
    try:
        _check_coordinates(data.latitude, data.longitude)
    except ValidationError as exc:
        errors.append((exc.field, exc.message))
    if not data.specialties:
        errors.append(("specialties", _("Choose at least one specialty.")))
    for specialty in data.specialties:
        if parse_specialty(specialty) is None:
            errors.append(("specialties", _("Unknown specialty: {name}").format(name=specialty)))
    return errors


def hospital_info(h: ReferralHospital) -> HospitalInfo:
    return HospitalInfo(
        id=h.id,
        name=h.name,
        address=h.address,
        city=h.city,
        country=h.country,
        phone=h.phone,
        email=h.email,
        website=h.website,
        latitude=h.latitude,
        longitude=h.longitude,
        specialties=tuple(h.specialties or ()),
        accepts_referrals=h.accepts_referrals,
        retired=h.retired,
        sample=h.sample,
    )


def _parse_bool(text: str, default: bool) -> bool | None:
    value = text.strip().lower()
    if not value:
        return default
    if value in _YES:
        return True
    if value in _NO:
        return False
    return None


def _parse_float(text: str) -> float | None:
    return float(text.strip().replace(",", ".")) if text.strip() else None


def parse_csv_row(row: dict[str, str], number: int) -> tuple[HospitalInput | None, bool, list[RowError]]:
    """One CSV row as input (None if it has errors), its sample flag, and its errors."""
    errors: list[RowError] = []
    if row.get("__extra__"):
        errors.append(RowError(number, "", _("This row has more values than there are columns.")))

    def value(name: str) -> str:
        return (row.get(name) or "").strip()

    coords: dict[str, float | None] = {}
    for name in ("latitude", "longitude"):
        try:
            coords[name] = _parse_float(value(name))
        except ValueError:
            coords[name] = None
            errors.append(RowError(number, name, _("“{value}” is not a number.").format(value=value(name))))
    accepts = _parse_bool(value("accepts_referrals"), True)
    if accepts is None:
        errors.append(RowError(number, "accepts_referrals", _("Write yes or no.")))
    sample = _parse_bool(value("sample"), False)
    if sample is None:
        errors.append(RowError(number, "sample", _("Write yes or no.")))
    specialties = tuple(s.strip() for s in re.split(r"[;|]", value("specialties")) if s.strip())
    data = HospitalInput(
        name=value("name"),
        address=value("address"),
        city=value("city"),
        country=value("country"),
        phone=value("phone"),
        email=value("email"),
        website=value("website"),
        latitude=coords["latitude"],
        longitude=coords["longitude"],
        specialties=specialties,
        accepts_referrals=bool(accepts),
    )
    bad_number = any(e.field in ("latitude", "longitude") for e in errors)
    errors += [
        RowError(number, field, message)
        for field, message in hospital_errors(data)
        # a coordinate that failed to parse would add a misleading "both or neither"
        if not (bad_number and field in ("latitude", "longitude"))
    ]
    return (None if errors else clean_hospital_input(data)), bool(sample), errors


class HospitalService:
    def __init__(self, database: Database, audit: AuditLog, settings_store: SettingsStore) -> None:
        self._db = database
        self._audit = audit
        self._settings = settings_store

    # --- reading ---------------------------------------------------------------------------------
    def list(
        self, actor: CurrentUser, text: str = "", specialty: str | None = None, include_retired: bool = False
    ) -> list[HospitalInfo]:
        """Hospitals by name; ``text`` matches name, city or country, ``specialty`` filters."""
        with self._db.session() as session:
            authorize(session, actor, ALL_ROLES)
            rows = self._all(session, include_retired)
        words = text.casefold().split()
        found = []
        for h in rows:
            haystack = f"{h.name} {h.city} {h.country} {h.address}".casefold()
            if all(w in haystack for w in words) and (specialty is None or specialty in h.specialties):
                found.append(h)
        return found

    def get(self, actor: CurrentUser, hospital_id: int) -> HospitalInfo:
        with self._db.session() as session:
            authorize(session, actor, ALL_ROLES)
            return hospital_info(self._get(session, hospital_id))

    def clinic_location(self) -> tuple[float, float] | None:
        settings = self._settings.load()
        if settings.clinic_latitude is None or settings.clinic_longitude is None:
            return None
        return settings.clinic_latitude, settings.clinic_longitude

    def suggest(
        self,
        actor: CurrentUser,
        *,
        specialties: Sequence[str] = (),
        diagnosis: str = "",
        origin: tuple[float, float] | None = None,
        include_all: bool = False,
    ) -> list[HospitalSuggestion]:
        """Active hospitals accepting referrals with any of the needed specialties, nearest first.

        The specialties come from ``specialties`` or, failing that, the ``diagnosis`` class (mel ->
        dermato-oncology, ...); with neither, every specialty qualifies. Distance is from ``origin``
        or else the clinic's location in the settings; hospitals without coordinates come last.
        ``include_all`` also lists those not accepting referrals (to show the whole directory).
        """
        needed = tuple(specialties) or (specialties_for_diagnosis(diagnosis) if diagnosis else ())
        if origin is not None:
            _check_coordinates(*origin)
        where = origin or self.clinic_location()
        with self._db.session() as session:
            authorize(session, actor, ALL_ROLES)
            rows = self._all(session, include_retired=False)
        results = []
        for h in rows:
            if not include_all and not h.accepts_referrals:
                continue
            if needed and not set(needed) & set(h.specialties):
                continue
            distance = None
            if where is not None and h.latitude is not None and h.longitude is not None:
                distance = haversine_km(where[0], where[1], h.latitude, h.longitude)
            results.append(HospitalSuggestion(hospital=h, distance_km=distance))
        results.sort(key=lambda s: (s.distance_km is None, s.distance_km or 0.0, s.hospital.name.casefold()))
        return results

    # --- changing (administrators) -------------------------------------------------------------
    def add(self, actor: CurrentUser, data: HospitalInput) -> HospitalInfo:
        clean = clean_hospital_input(data)
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            hospital = ReferralHospital(**_columns(clean), retired=False, sample=False)
            session.add(hospital)
            session.flush()
            self._audit.record(session, actor.id, AuditAction.CREATE, "referral_hospitals", hospital.id)
            return hospital_info(hospital)

    def edit(self, actor: CurrentUser, hospital_id: int, data: HospitalInput) -> HospitalInfo:
        clean = clean_hospital_input(data)
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            hospital = self._get(session, hospital_id)
            for name, value in _columns(clean).items():
                setattr(hospital, name, value)
            hospital.sample = False  # an entry someone checked and saved is theirs now
            session.flush()
            self._audit.record(session, actor.id, AuditAction.UPDATE, "referral_hospitals", hospital.id)
            return hospital_info(hospital)

    def retire(self, actor: CurrentUser, hospital_id: int, retired: bool = True) -> HospitalInfo:
        """Hide a hospital from suggestions and new referrals (kept for existing referrals)."""
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            hospital = self._get(session, hospital_id)
            hospital.retired = retired
            self._audit.record(
                session, actor.id, AuditAction.UPDATE, "referral_hospitals", hospital.id,
                "retired" if retired else "reinstated",
            )
            return hospital_info(hospital)

    def retire_samples(self, actor: CurrentUser) -> int:
        """Retire every sample entry still in the directory; returns how many."""
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            rows = session.scalars(
                select(ReferralHospital).where(ReferralHospital.sample.is_(True), ReferralHospital.retired.is_(False))
            ).all()
            for h in rows:
                h.retired = True
            self._audit.record(session, actor.id, AuditAction.UPDATE, "referral_hospitals", None,
                               f"retired samples n={len(rows)}")
            return len(rows)

    # --- CSV -------------------------------------------------------------------------------------
    def import_csv(self, actor: CurrentUser, data: bytes | str, *, as_sample: bool = False) -> ImportReport:
        """Import a CSV file (comma, semicolon or tab separated; UTF-8). See the module docstring."""
        rows, header_errors = read_csv(data)
        if header_errors:
            return ImportReport(added=0, updated=0, errors=tuple(header_errors))
        errors: list[RowError] = []
        valid: list[tuple[int, HospitalInput, bool]] = []
        seen: dict[tuple[str, str], int] = {}
        for number, row in rows:
            parsed, sample, row_errors = parse_csv_row(row, number)
            if parsed is not None:
                key = (parsed.name.casefold(), parsed.city.casefold())
                if key in seen:
                    row_errors.append(
                        RowError(number, "name", _("The same hospital is already in row {row}.").format(row=seen[key]))
                    )
                else:
                    seen[key] = number
            if row_errors:
                errors += row_errors
            elif parsed is not None:
                valid.append((number, parsed, sample or as_sample))
        added = updated = 0
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            existing = {
                (h.name.casefold(), h.city.casefold()): h for h in session.scalars(select(ReferralHospital))
            }
            for _number, item, sample in valid:
                current = existing.get((item.name.casefold(), item.city.casefold()))
                if current is None:
                    session.add(ReferralHospital(**_columns(item), retired=False, sample=sample))
                    added += 1
                else:
                    for name, value in _columns(item).items():
                        setattr(current, name, value)
                    current.sample = sample
                    current.retired = False
                    updated += 1
            session.flush()
            self._audit.record(
                session, actor.id, AuditAction.CREATE, "referral_hospitals", None,
                f"csv import added={added} updated={updated} rejected={len({e.row for e in errors})}",
            )
        log.info("hospital import: %d added, %d updated, %d rows rejected", added, updated, len({e.row for e in errors}))
        return ImportReport(added=added, updated=updated, errors=tuple(errors))

    def export_csv(self, actor: CurrentUser, include_retired: bool = False) -> str:
        """The directory as CSV text (the same columns the import reads)."""
        with self._db.session() as session:
            authorize(session, actor, ALL_ROLES)
            rows = self._all(session, include_retired)
            self._audit.record(session, actor.id, AuditAction.EXPORT, "referral_hospitals", None, f"csv n={len(rows)}")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for h in rows:
            writer.writerow([
                h.name, h.address, h.city, h.country, h.phone, h.email, h.website,
                "" if h.latitude is None else f"{h.latitude:.6f}",
                "" if h.longitude is None else f"{h.longitude:.6f}",
                ";".join(h.specialties), "yes" if h.accepts_referrals else "no", "yes" if h.sample else "no",
            ])
        return out.getvalue()

    def load_sample_directory_if_empty(self, actor: CurrentUser, path: Path = SAMPLE_DIRECTORY) -> int:
        """On first run, fill an empty directory with the shipped sample entries; returns how many."""
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            count = session.scalar(select(func.count()).select_from(ReferralHospital)) or 0
        if count or not path.exists():
            return 0
        report = self.import_csv(actor, path.read_bytes(), as_sample=True)
        if report.errors:
            log.warning("sample directory has %d bad rows", report.rejected_rows)
        return report.added

    # --- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _all(session: Session, include_retired: bool) -> list[HospitalInfo]:
        stmt = select(ReferralHospital)
        if not include_retired:
            stmt = stmt.where(ReferralHospital.retired.is_(False))
        rows = [hospital_info(h) for h in session.scalars(stmt)]
        return sorted(rows, key=lambda h: (h.name.casefold(), h.id))

    @staticmethod
    def _get(session: Session, hospital_id: int) -> ReferralHospital:
        hospital = session.get(ReferralHospital, hospital_id)
        if hospital is None:
            raise RecordNotFound(_("This hospital is not in the directory."), details=f"hospital {hospital_id}")
        return hospital


def _columns(data: HospitalInput) -> dict[str, object]:
    return {
        "name": data.name,
        "address": data.address,
        "city": data.city,
        "country": data.country,
        "phone": data.phone,
        "email": data.email,
        "website": data.website,
        "latitude": data.latitude,
        "longitude": data.longitude,
        "specialties": list(data.specialties),
        "accepts_referrals": data.accepts_referrals,
    }


def read_csv(data: bytes | str) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """Rows numbered as a spreadsheet shows them (header = 1), or a header-level error."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], [RowError(1, "", _("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."))]
    else:
        text = data.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return [], [RowError(1, "", _("The file is empty."))]
    if "name" not in header:
        return [], [RowError(1, "name", _("The first row must name the columns, including “name”."))]
    unknown = [h for h in header if h and h not in CSV_COLUMNS]
    if unknown:
        return [], [RowError(1, unknown[0], _("Unknown column “{name}”.").format(name=unknown[0]))]
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for values in reader:
            number = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                return [], [RowError(number, "", _("The file has more than {n} rows.").format(n=MAX_IMPORT_ROWS))]
            if len(values) > len(header):
                rows.append((number, {"__extra__": "1", **dict(zip(header, values, strict=False))}))
                continue
            rows.append((number, dict(zip(header, values, strict=False))))
    except csv.Error:
        return [], [RowError(reader.line_num, "", _("The file is not valid CSV."))]
    return rows, []
