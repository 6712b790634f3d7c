"""Report inputs built from a real PH2 dermoscopy image and its expert mask (no model run needed)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import cv2
import numpy as np
from sample_data import ph2_case

from dermstation.reports.data import (
    Assessment,
    ClinicInfo,
    HospitalInfo,
    MetricLine,
    ModelLine,
    PatientIdentifiers,
    PatientSummaryData,
    ReferralData,
    ReferralLesion,
    ReportData,
)

PROBABILITIES = (("akiec", 0.021), ("bcc", 0.034), ("bkl", 0.087), ("df", 0.012), ("mel", 0.412),
                 ("nv", 0.428), ("vasc", 0.006))
CLINIC = ClinicInfo("Riverside Dermatology Clinic", "12 Mill Lane, Cambridge CB2 1RX", "+44 1223 555 010",
                    "skin@riverside.example")


def ph2_image(name: str = "IMD002") -> tuple[np.ndarray, np.ndarray]:
    """(RGB image, bool mask) of one PH2 case shipped in tests/data."""
    return ph2_case(name)


def overlays(rgb: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    outlined = rgb.copy()
    cv2.drawContours(outlined, contours, -1, (0, 255, 0), 3)
    dist = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
    cam = (dist / max(1.0, float(dist.max()))).astype(np.float32)
    heat = cv2.cvtColor(cv2.applyColorMap((cam * 255).astype(np.uint8), cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)
    w = (0.45 * cam)[:, :, None]
    return outlined, (rgb * (1 - w) + heat * w).astype(np.uint8)


METRICS = (
    MetricLine("area", "Area", 38.46, "mm²", 31.2),
    MetricLine("diameter", "Diameter (max Feret)", 8.42, "mm", 7.61),
    MetricLine("perimeter", "Perimeter", 25.07, "mm", 22.9),
    MetricLine("asymmetry", "Asymmetry (mirror mismatch)", 0.214, "", 0.18),
    MetricLine("border_irregularity", "Border irregularity", 1.37, "", 1.31),
    MetricLine("colour_count", "Colours (ABCD, each ≥5 %)", 4, "count", 3),
    MetricLine("colour_variegation", "Colour variegation (SD in CIELAB)", 12.3, "ΔE", 11.0),
)


def report_data(**changes: object) -> ReportData:
    rgb, mask = ph2_image()
    outlined, cam = overlays(rgb, mask)
    values: dict[str, object] = dict(
        clinic=CLINIC,
        patient=PatientIdentifiers("Okonkwo-Whitfield, Adaeze Margarethe", "MRN-004711", date(1979, 4, 23), "female"),
        lesion_site="left upper back",
        lesion_label="L2 (pigmented, changing)",
        image_rgb=rgb,
        overlay_rgb=outlined,
        cam_rgb=cam,
        probabilities=PROBABILITIES,
        malignancy=0.467,
        threshold=0.35,
        metrics=METRICS,
        previous_visit=date(2025, 11, 3),
        quality_flags=("The lesion touches the image border: part of it may be missing.",),
        models=(ModelLine("ham10000-effnet-b0", "1.3.0"), ModelLine("ph2-unet-seg", "1.1.0")),
        provider="CPU",
        assessment=Assessment("Suspected melanoma — excision biopsy", "Asymmetric, 4 colours, grew 1 mm in 6 months.",
                              "Dr Derma Smith", datetime(2026, 5, 14, 10, 30, tzinfo=UTC)),
        captured_at=datetime(2026, 5, 14, 10, 12, tzinfo=UTC),
        generated_at=datetime(2026, 5, 14, 10, 31, tzinfo=UTC),
    )
    values.update(changes)
    return ReportData(**values)  # type: ignore[arg-type]


def summary_data(language: str, name: str = "Adaeze Okonkwo", **changes: object) -> PatientSummaryData:
    values: dict[str, object] = dict(
        clinic=CLINIC, patient_name=name, record_number="MRN-004711", lesion_site="left upper back",
        patient_key="melanoma_invasive", plan="referral_urgent", follow_up_due=None,
        referral_hospital="Addenbrooke's Hospital", clinician="Dr Derma Smith", visit_date=date(2026, 5, 14),
        language=language,
    )
    values.update(changes)
    return PatientSummaryData(**values)  # type: ignore[arg-type]


def referral_data(**changes: object) -> ReferralData:
    rgb, mask = ph2_image()
    outlined, _cam = overlays(rgb, mask)
    values: dict[str, object] = dict(
        clinic=CLINIC,
        hospital=HospitalInfo("Addenbrooke's Hospital — Dermatology", "Hills Road", "Cambridge CB2 0QQ",
                              "United Kingdom", "+44 1223 245151", "derm.referrals@cuh.example"),
        patient=PatientIdentifiers("Okonkwo-Whitfield, Adaeze Margarethe", "MRN-004711", date(1979, 4, 23), "female"),
        urgency="urgent",
        reason="Changing pigmented lesion on the left upper back, suspected melanoma. Please assess for excision.",
        referring_clinician="Dr Derma Smith",
        lesions=(ReferralLesion("left upper back", "Superficial spreading melanoma",
                                "SNOMED CT 254730000 · ICD-10 C43.5", "Urgent referral to Addenbrooke's Hospital",
                                "Signed by Dr Derma Smith, May 14, 2026 (version 1)",
                                "Asymmetric, 4 colours, grew 1 mm in 6 months.", 0.467, 0.35, METRICS[:2], outlined),),
        patient_phone="+44 7700 900123",
        patient_address="4 Orchard Way, Cambridge",
        letter_date=date(2026, 5, 14),
        models=(ModelLine("ham10000-effnet-b0", "1.3.0"),),
    )
    values.update(changes)
    return ReferralData(**values)  # type: ignore[arg-type]
