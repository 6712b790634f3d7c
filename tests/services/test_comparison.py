"""The follow-up comparison as a service: two files through the real models, aligned and measured."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from dermstation.core.config import PROJECT_ROOT
from dermstation.inference.follow_up import Note, Verdict
from dermstation.services.analysis import AnalysisService
from dermstation.services.comparison import compare_files


@pytest.fixture(scope="module")
def analysis() -> AnalysisService:
    return AnalysisService(models_dir=PROJECT_ROOT / "models", provider="cpu")


@pytest.fixture
def same_lesion_half_size(test_data: Path, tmp_path: Path) -> tuple[Path, Path]:
    """IMD010 as taken, and the same picture turned upside down at half the pixels (another camera)."""
    original = test_data / "ph2" / "images" / "IMD010.jpg"
    image = cv2.imread(str(original))
    small = cv2.resize(cv2.rotate(image, cv2.ROTATE_180), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    later = tmp_path / "IMD010-later.png"
    cv2.imwrite(str(later), small)
    return original, later


def test_same_picture_at_two_resolutions_with_matching_spacing_reports_no_change(
        analysis: AnalysisService, same_lesion_half_size: tuple[Path, Path]) -> None:
    before, after = same_lesion_half_size
    # 0.01 mm per pixel as taken; 0.02 mm for the copy with half the pixels
    result, first, second = compare_files(analysis, before, after, spacings=(0.01, 0.02))
    assert result.aligned and result.same_lesion
    assert result.verdict is Verdict.STABLE
    assert result.length_unit == "mm"
    assert abs(result.diameter_change_pct) < 5 and abs(result.area_change_pct) < 8
    # the pictures' own measurements agree with the aligned ones
    assert result.diameter_before == pytest.approx(first.metric("diameter").value, rel=0.05)


def test_without_pixel_sizes_the_aligned_pictures_still_compare_relatively(
        analysis: AnalysisService, same_lesion_half_size: tuple[Path, Path]) -> None:
    result, _first, _second = compare_files(analysis, *same_lesion_half_size)
    assert result.aligned and result.verdict is Verdict.STABLE
    assert result.length_unit == "px" and Note.RELATIVE_SCALE in result.notes


def test_two_different_lesions_without_scale_are_not_compared(analysis: AnalysisService, test_data: Path) -> None:
    images = test_data / "ph2" / "images"
    result, _first, _second = compare_files(analysis, images / "IMD006.jpg", images / "IMD105.jpg")
    assert not result.aligned
    assert result.verdict is Verdict.NOT_COMPARABLE and Note.NO_SCALE in result.notes
