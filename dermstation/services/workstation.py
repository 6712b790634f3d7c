"""The services the dermatologist's workstation screens use (analysis, live view, import, history)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from dermstation.services.analysis import AnalysisService
from dermstation.services.analysis_records import AnalysisRecordService, mask_contour
from dermstation.services.annotations import AnnotationService
from dermstation.services.assessments import AssessmentService
from dermstation.services.device_profiles import DeviceProfileService
from dermstation.services.hospital_link import HospitalLink
from dermstation.services.hospitals import HospitalService
from dermstation.services.imports import ImportService
from dermstation.services.workstation_registry import WorkstationRegistry


@dataclass(frozen=True)
class WorkstationServices:
    """The Analysis page's view of the container (``Services.workstation``): nothing here opens a
    window or a thread."""

    analysis: AnalysisService
    records: AnalysisRecordService
    imports: ImportService
    assessments: AssessmentService
    hospitals: HospitalService  # the referral hospitals a signed plan may name
    hospital_link: HospitalLink | None = None  # PACS send/receive and FHIR export (issue 22)
    registry: WorkstationRegistry | None = None  # which workstations use the clinic's database (Settings)
    camera: str = ""  # this workstation's camera (settings.json "camera"): index, video file or stream URL
    device_profiles: DeviceProfileService | None = None  # mm per pixel of each device, chosen at capture
    annotations: AnnotationService | None = None  # rulers, arrows and marks drawn over a picture


LIVE_MAX_SIDE = 512
"""Live frames are analysed at this longest side: a smooth contour beats fine detail while aiming."""


@dataclass(frozen=True, eq=False)
class LiveAnalysis:
    """What the live view overlays: the outline in frame pixels and the top class."""

    top_class: str
    top_probability: float
    malignancy: float
    threshold: float
    trustworthy: bool
    contour: np.ndarray  # (K, 2) float (x, y) in the full frame's pixels
    analysed_ms: float


def analyse_live_frame(analysis: AnalysisService, rgb: np.ndarray, max_side: int = LIVE_MAX_SIDE) -> LiveAnalysis:
    """A quick analysis of one camera frame (shrunk first); nothing is stored."""
    h, w = rgb.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA) if scale < 1.0 else rgb
    result = analysis.analyze_image(np.ascontiguousarray(small))
    sx, sy = w / small.shape[1], h / small.shape[0]
    contour = np.asarray(result.contour, np.float64).reshape(-1, 2) * (sx, sy)
    return LiveAnalysis(result.top_class, result.top_probability, result.malignancy, result.threshold,
                        result.trustworthy, contour, result.timings.get("total", 0.0))


@dataclass(frozen=True, eq=False)
class MaskChange:
    """Where the lesion grew and where it shrank, on the later image's pixel grid."""

    grown: np.ndarray  # (H, W) bool
    shrunk: np.ndarray
    before_contour: np.ndarray  # the earlier outline on the later grid


def mask_change(before: np.ndarray | None, after: np.ndarray | None) -> MaskChange | None:
    """Compare two lesion masks (the earlier resized onto the later; same framing assumed)."""
    if before is None or after is None:
        return None
    h, w = after.shape[:2]
    b = cv2.resize(before.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    return MaskChange(after & ~b, b & ~after, mask_contour(b))
