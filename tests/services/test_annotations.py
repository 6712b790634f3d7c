"""The annotation layer of a capture: stored apart from the picture, in picture pixels, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dermstation.core.domain import CaptureSource
from dermstation.core.errors import PermissionDenied, RecordNotFound, ValidationError
from dermstation.records.device_models import CaptureAnnotation
from dermstation.records.models import AuditEvent
from dermstation.services.annotations import AnnotationService, ruler_text_value
from dermstation.services.types import PatientInput

PNG = bytes.fromhex("89504e470d0a1a0a")  # only stored, never decoded here


@pytest.fixture
def annotations(services) -> AnnotationService:
    return AnnotationService(services.database, services.audit)


@pytest.fixture
def capture(services, dermatologist):
    patient = services.patients.create(dermatologist, PatientInput("R7", "Ann", "Otte", None))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "left shin", "")
    return services.captures.add_capture(dermatologist, lesion.id, PNG + b"x" * 64, CaptureSource.FILE, 800, 600,
                                         "a.png", pixel_spacing_mm=0.02)


def test_marks_are_stored_as_a_layer_and_removed_by_marking(services, annotations, dermatologist, capture) -> None:
    ruler = annotations.add(dermatologist, capture.id, "ruler", ((100, 100), (400, 500)))
    arrow = annotations.add(dermatologist, capture.id, "arrow", ((10, 10), (50, 60)))
    mark = annotations.add(dermatologist, capture.id, "mark", ((1, 1), (2, 5), (9, 9)))
    layer = annotations.layer(dermatologist, capture.id)
    assert [a.kind for a in layer.annotations] == ["ruler", "arrow", "mark"]
    assert (layer.width, layer.height, layer.pixel_spacing_mm) == (800, 600, 0.02)
    assert ruler_text_value(ruler, layer.pixel_spacing_mm) == pytest.approx((10.0, "mm"))  # 500 px x 0.02
    assert ruler_text_value(ruler, None) == pytest.approx((500.0, "px"))
    annotations.remove(dermatologist, arrow.id)
    assert [a.id for a in annotations.layer(dermatologist, capture.id).annotations] == [ruler.id, mark.id]
    with pytest.raises(RecordNotFound):
        annotations.remove(dermatologist, arrow.id)
    with services.database.session() as session:
        row = session.get(CaptureAnnotation, arrow.id)
        assert row.removed_at is not None and row.removed_by_id == dermatologist.id  # kept for the trail
        actions = [e.action.value for e in session.scalars(
            select(AuditEvent).where(AuditEvent.table_name == "capture_annotations").order_by(AuditEvent.id))]
        assert actions == ["create", "create", "create", "view", "delete", "view"]


def test_bad_marks_and_other_roles_are_refused(annotations, dermatologist, receptionist, admin, capture) -> None:
    with pytest.raises(ValidationError):
        annotations.add(dermatologist, capture.id, "circle", ((1, 1), (2, 2)))
    with pytest.raises(ValidationError):
        annotations.add(dermatologist, capture.id, "ruler", ((1, 1), (2, 2), (3, 3)))
    with pytest.raises(ValidationError):
        annotations.add(dermatologist, capture.id, "arrow", ((5, 5), (5, 5)))
    with pytest.raises(ValidationError):
        annotations.add(dermatologist, capture.id, "mark", ((1, 1), (5000, 5)))  # off the picture
    with pytest.raises(ValidationError):
        annotations.add(dermatologist, capture.id, "mark", ((1, float("nan")), (5, 5)))
    for user in (receptionist, admin):
        with pytest.raises(PermissionDenied):
            annotations.layer(user, capture.id)
