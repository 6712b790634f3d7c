"""Stored analyses in typed form: threshold, image size and model hashes as columns, measurements and models as rows.

Before: ``analyses.other_models`` held ``{"models": {name: version}, "threshold", "image_size": [h, w],
"quality_messages": [translated text]}`` and ``analyses.metrics`` ``{name: {"value", "unit", "label"}}``
with the label translated into the language of the user who ran the analysis. After: ``threshold``,
``image_height``, ``image_width`` and ``model_sha256`` (the classifier's) are columns, each measurement is a
row of ``analysis_measurements`` (name, value, unit) and each other model a row of ``analysis_models``
(name, version, sha256). Nothing translated is stored: labels and quality messages are derived from the
stable keys (metric name, quality code) when shown. ``quality_flags`` keeps its list of codes.

Every number, unit, key, version and the order of measurements and models moves over unchanged; a value
that is not a finite number, never written by DermStation, stops the upgrade naming the analysis (SQLite
runs it in the backup-protected transaction). Downgrade rebuilds the old JSON with English labels and
messages (the stored text of a non-English user cannot be restored: it was a translation of these keys).

Models: ``AnalysisRecord``, ``AnalysisMeasurement``, ``AnalysisModel`` in ``dermstation/records/models.py``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 17:05:00
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_COLUMNS = (("threshold", "FLOAT"), ("image_height", "INTEGER"), ("image_width", "INTEGER"),
               ("model_sha256", "VARCHAR(64)"))

# English wording of 0007's stored text, frozen here so the downgrade does not depend on today's code
LABELS_EN = {
    "area": "Area", "diameter": "Diameter (max Feret)", "perimeter": "Perimeter",
    "compactness": "Compactness (1 = circle)", "border_irregularity": "Border irregularity (1 = smooth)",
    "asymmetry": "Asymmetry (mirror mismatch)", "asymmetry_major_axis": "Asymmetry about the long axis",
    "asymmetry_minor_axis": "Asymmetry about the short axis", "asymmetric_axes": "Asymmetric axes (0-2)",
    "colour_count": "Colours (ABCD, ≥5 % each)", "colour_variegation": "Colour variegation (SD in CIELAB)",
    "colour_white": "White", "colour_red": "Red", "colour_light_brown": "Light brown",
    "colour_dark_brown": "Dark brown", "colour_blue_grey": "Blue-grey", "colour_black": "Black",
}
MESSAGES_EN = {
    "blurred": "The image is blurred: refocus and take it again.",
    "underexposed": "The image is too dark: check the light and exposure.",
    "overexposed": "The image is overexposed: reduce the light or exposure.",
    "no_lesion": "No lesion was found in the image.",
    "lesion_too_small": "The lesion found is too small to analyse: move closer or zoom in.",
    "lesion_fills_frame": "The lesion reaches the edges of the image or was not separated from the skin: "
                          "frame the whole lesion with some normal skin around it.",
    "lesion_cut": "The lesion runs off the edge of the picture, so part of it was not seen: "
                  "frame the whole lesion with some normal skin around it.",
    "applicability_incomplete": "The check that this is a dermoscopic image ran without its learned part (its "
                                "statistics do not belong to this classifier): judge the picture yourself.",
}

analyses = sa.table(
    "analyses", sa.column("id", sa.Integer), sa.column("other_models", sa.JSON), sa.column("metrics", sa.JSON),
    sa.column("quality_flags", sa.JSON), sa.column("threshold", sa.Float), sa.column("image_height", sa.Integer),
    sa.column("image_width", sa.Integer), sa.column("model_sha256", sa.String),
)
measurements = sa.table(
    "analysis_measurements", sa.column("analysis_id", sa.Integer), sa.column("position", sa.Integer),
    sa.column("name", sa.String), sa.column("value", sa.Float), sa.column("unit", sa.String),
)
models = sa.table(
    "analysis_models", sa.column("analysis_id", sa.Integer), sa.column("position", sa.Integer),
    sa.column("name", sa.String), sa.column("version", sa.String), sa.column("sha256", sa.String),
)


def _json(value: Any) -> Any:
    """A JSON column's value: parsed already (PostgreSQL) or text (some SQLite paths)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def _number(value: Any, analysis_id: int, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(f"analysis {analysis_id}: {what} is not a finite number ({value!r}); nothing was changed")
    return number


def _measurement_rows(analysis_id: int, stored: Any) -> list[dict[str, Any]]:
    rows = []
    for position, (name, entry) in enumerate((stored or {}).items()):
        if isinstance(entry, dict):  # {"value", "unit", "label"} (the label is translated text: not kept)
            value, unit = entry.get("value"), str(entry.get("unit") or "")
        else:  # a bare number
            value, unit = entry, ""
        rows.append({"analysis_id": analysis_id, "position": position, "name": str(name),
                     "value": _number(value, analysis_id, f"measurement {name}"), "unit": unit})
    return rows


def upgrade() -> None:
    for column, sql_type in NEW_COLUMNS:
        op.execute(f"ALTER TABLE analyses ADD COLUMN {column} {sql_type}")
    op.create_table(
        "analysis_measurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["analysis_id"], ["analyses.id"],
                                name=op.f("fk_analysis_measurements_analysis_id_analyses")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_measurements")),
        sa.UniqueConstraint("analysis_id", "name", name=op.f("uq_analysis_measurements_analysis_id_name")),
    )
    op.create_table(
        "analysis_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["analysis_id"], ["analyses.id"],
                                name=op.f("fk_analysis_models_analysis_id_analyses")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_models")),
        sa.UniqueConstraint("analysis_id", "position", name=op.f("uq_analysis_models_analysis_id_position")),
    )

    conn = op.get_bind()
    found = conn.execute(sa.select(analyses.c.id, analyses.c.other_models, analyses.c.metrics)
                         .order_by(analyses.c.id)).all()
    measurement_rows: list[dict[str, Any]] = []
    model_rows: list[dict[str, Any]] = []
    for analysis_id, other_json, metrics_json in found:
        other = _json(other_json) or {}
        measurement_rows += _measurement_rows(analysis_id, _json(metrics_json))
        model_rows += [{"analysis_id": analysis_id, "position": position, "name": str(name), "version": str(version),
                        "sha256": None} for position, (name, version) in enumerate((other.get("models") or {}).items())]
        threshold = other.get("threshold")
        size = other.get("image_size") or (None, None)
        conn.execute(analyses.update().where(analyses.c.id == analysis_id).values(
            threshold=_number(threshold, analysis_id, "threshold") if threshold is not None else None,
            image_height=int(size[0]) if size[0] is not None else None,
            image_width=int(size[1]) if size[1] is not None else None,
        ))
    if measurement_rows:
        conn.execute(measurements.insert(), measurement_rows)
    if model_rows:
        conn.execute(models.insert(), model_rows)
    op.create_index("ix_analysis_measurements_analysis_id", "analysis_measurements", ["analysis_id"])
    op.create_index("ix_analysis_models_analysis_id", "analysis_models", ["analysis_id"])
    # SQLite >= 3.35 and PostgreSQL drop a column in place (no table rebuild: rows elsewhere point at analyses)
    op.execute("ALTER TABLE analyses DROP COLUMN other_models")
    op.execute("ALTER TABLE analyses DROP COLUMN metrics")


def downgrade() -> None:
    """Back to 0007's JSON, with English labels and quality messages (the old shape's text)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column in ("other_models", "metrics"):  # SQLite cannot add NOT NULL without a default
        op.execute(f"ALTER TABLE analyses ADD COLUMN {column} JSON NOT NULL DEFAULT '{{}}'" if sqlite
                   else f"ALTER TABLE analyses ADD COLUMN {column} JSON")
    conn = op.get_bind()
    by_analysis: dict[int, dict[str, Any]] = {}
    for analysis_id, name, value, unit in conn.execute(
            sa.select(measurements.c.analysis_id, measurements.c.name, measurements.c.value, measurements.c.unit)
            .order_by(measurements.c.analysis_id, measurements.c.position)):
        by_analysis.setdefault(analysis_id, {})[name] = {"value": value, "unit": unit,
                                                         "label": LABELS_EN.get(name, name)}
    others: dict[int, dict[str, str]] = {}
    for analysis_id, name, version in conn.execute(
            sa.select(models.c.analysis_id, models.c.name, models.c.version)
            .order_by(models.c.analysis_id, models.c.position)):
        others.setdefault(analysis_id, {})[name] = version
    for analysis_id, flags, threshold, height, width in conn.execute(
            sa.select(analyses.c.id, analyses.c.quality_flags, analyses.c.threshold, analyses.c.image_height,
                      analyses.c.image_width)).all():
        other: dict[str, Any] = {"models": others.get(analysis_id, {}),
                                 "quality_messages": [MESSAGES_EN.get(f, f) for f in _json(flags) or []]}
        if threshold is not None:
            other["threshold"] = threshold
        if height is not None and width is not None:
            other["image_size"] = [height, width]
        conn.execute(analyses.update().where(analyses.c.id == analysis_id).values(
            other_models=other, metrics=by_analysis.get(analysis_id, {})))
    if not sqlite:
        for column in ("other_models", "metrics"):
            op.execute(f"ALTER TABLE analyses ALTER COLUMN {column} SET NOT NULL")
    op.drop_index("ix_analysis_models_analysis_id", table_name="analysis_models")
    op.drop_index("ix_analysis_measurements_analysis_id", table_name="analysis_measurements")
    op.drop_table("analysis_models")
    op.drop_table("analysis_measurements")
    for column, _sql_type in reversed(NEW_COLUMNS):
        op.execute(f"ALTER TABLE analyses DROP COLUMN {column}")
