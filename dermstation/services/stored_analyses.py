"""The one reader and the one writer of a stored analysis (typed columns since migration 0008).

Every consumer — the analysis page, History, the comparison, reports, the body map, the audit view, DICOM
and FHIR export — turns an ``AnalysisRecord`` row into a ``StoredAnalysis`` with ``stored_analysis`` and
reads nothing else of the row, so a missing value means the same everywhere (``threshold`` None: not
recorded). Only stable keys are stored (metric names, quality codes, class keys); labels and messages are
produced in the current language when the value is read for display.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime

import cv2
import numpy as np

from dermstation.core.errors import ImageStoreError, ValidationError
from dermstation.core.i18n import _
from dermstation.inference.analyzer import AnalysisResult
from dermstation.inference.metrics import Measurement, metric_label
from dermstation.inference.quality import quality_message
from dermstation.records.models import AnalysisMeasurement, AnalysisModel, AnalysisRecord, ImageCapture


@dataclass(frozen=True)
class ModelUsed:
    """A model that took part in an analysis, as recorded (``sha256`` None: stored before 0008)."""

    name: str
    version: str
    sha256: str | None = None


@dataclass(frozen=True, eq=False)
class StoredAnalysis:
    """One analysis as stored: what the models said about one capture, and when."""

    id: int
    capture_id: int
    lesion_id: int
    taken_at: datetime  # when the image was captured
    created_at: datetime  # when the analysis ran
    classifier: ModelUsed
    others: tuple[ModelUsed, ...]  # the other models (segmenter, ...), in run order
    probabilities: tuple[tuple[str, float], ...]  # (class key, p) in the card's order
    prediction: str
    malignancy: float
    threshold: float | None  # None: not recorded (never guessed)
    image_size: tuple[int, int] | None  # (H, W) analysed, the mask's resolution
    metrics: tuple[Measurement, ...]  # labels in the language current when read
    quality_flags: tuple[str, ...]  # the quality codes ("blurred", ...)
    provider: str
    mask: np.ndarray | None = None  # (H, W) bool, at the analysed resolution; None unless decoded
    mask_png: bytes | None = None  # the stored mask as read (records.load): decoded by with_mask() on a worker

    @property
    def model_name(self) -> str:
        return self.classifier.name

    @property
    def model_version(self) -> str:
        return self.classifier.version

    @property
    def other_models(self) -> tuple[tuple[str, str], ...]:
        """(name, version) of the other models."""
        return tuple((m.name, m.version) for m in self.others)

    @property
    def models(self) -> tuple[ModelUsed, ...]:
        """The classifier, then the others (what a report lists)."""
        return ((self.classifier,) if self.classifier.name else ()) + self.others

    @property
    def quality_messages(self) -> tuple[str, ...]:
        """The quality warnings in the current language."""
        return tuple(quality_message(code) for code in self.quality_flags)

    @property
    def suspicious(self) -> bool:
        return self.threshold is not None and self.malignancy >= self.threshold

    def metric(self, name: str) -> Measurement | None:
        return next((m for m in self.metrics if m.name == name), None)

    def with_mask(self) -> StoredAnalysis:
        """This analysis with its stored mask decoded [worker: never in a database session]."""
        if self.mask is not None or self.mask_png is None:
            return self
        return replace(self, mask=decode_mask_png(self.mask_png))


def decode_mask_png(data: bytes) -> np.ndarray:
    """A stored lesion mask (the app's own PNG) as a read-only (H, W) bool array."""
    grey = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        raise ImageStoreError(_("A stored lesion mask cannot be read."), "mask PNG does not decode")
    mask = grey > 127
    mask.flags.writeable = False
    return mask


def stored_analysis(row: AnalysisRecord, capture: ImageCapture, mask: np.ndarray | None = None,
                    mask_png: bytes | None = None) -> StoredAnalysis:
    """The one reader: ``row`` (an analysis of ``capture``) as a ``StoredAnalysis``."""
    height, width = row.image_height, row.image_width
    return StoredAnalysis(
        id=row.id,
        capture_id=capture.id,
        lesion_id=capture.lesion_id,
        taken_at=capture.taken_at,
        created_at=row.created_at,
        classifier=ModelUsed(row.model_name, row.model_version, row.model_sha256),
        others=tuple(ModelUsed(m.name, m.version, m.sha256) for m in row.other_models),
        probabilities=tuple((str(c), float(p)) for c, p in (row.probabilities or {}).items()),
        prediction=row.prediction,
        malignancy=float(row.malignancy_score),
        threshold=row.threshold,
        image_size=(height, width) if height is not None and width is not None else None,
        metrics=tuple(Measurement(m.name, m.value, m.unit, metric_label(m.name)) for m in row.measurements),
        quality_flags=tuple(str(f) for f in row.quality_flags or ()),
        provider=row.provider,
        mask=mask,
        mask_png=mask_png,
    )


def _finite(value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ValidationError(_("The analysis holds a value that is not a number."))
    return value


def analysis_row(result: AnalysisResult, capture_id: int, mask_sha256: str | None, created_by_id: int
                 ) -> AnalysisRecord:
    """The one writer: ``result`` as a new row (keys and numbers only; the classifier is the last model)."""
    classifier = result.models[-1] if result.models else None
    height, width = result.image_size
    return AnalysisRecord(
        capture_id=capture_id,
        model_name=classifier.name if classifier else "",
        model_version=classifier.version if classifier else "",
        model_sha256=classifier.sha256 if classifier else None,
        probabilities={c: _finite(p) for c, p in result.probabilities},
        prediction=result.top_class,
        malignancy_score=_finite(result.malignancy),
        threshold=_finite(result.threshold),
        image_height=int(height),
        image_width=int(width),
        mask_sha256=mask_sha256,
        quality_flags=[str(f.issue) for f in result.quality_flags],
        provider=result.provider[:50],
        created_by_id=created_by_id,
        measurements=[AnalysisMeasurement(position=i, name=m.name, value=_finite(m.value), unit=m.unit)
                      for i, m in enumerate(result.metrics)],
        other_models=[AnalysisModel(position=i, name=m.name, version=m.version, sha256=m.sha256 or None)
                      for i, m in enumerate(result.models[:-1])],
    )
