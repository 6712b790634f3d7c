"""The applicability check through the real models: only dermoscopy of a skin lesion gets a score.

Each refusal reason is reached with a real picture (a shipped PH² photo made into a strip, a crop
through its lesion, its lesion-free skin; pydicom's CT; drawn documents, charts, test bars, X-rays);
every shipped dermoscopy photo is accepted with the learned check run.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from sample_data import COFFEE_PHOTO, ISIC_MELANOMA, ISIC_NEVUS, PH2_IMAGES, read_rgb

from dermstation.core.errors import NotApplicable
from dermstation.core.refusals import Refusal, refusal_message, refusal_text
from dermstation.inference import applicability
from dermstation.inference.analyzer import Analyzer
from dermstation.inference.applicability import OodStatus
from dermstation.inference.quality import QualityIssue

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from applicability_samples import lesion_cut_by_edge, skin_without_lesion  # noqa: E402

from training.applicability_data import (  # noqa: E402
    cartoon,
    chart,
    colour_bars,
    document,
    gradient,
    invoice_gradient,
    xray_like,
)

DERMOSCOPY = [*sorted(PH2_IMAGES.glob("*.jpg")), ISIC_NEVUS, ISIC_MELANOMA]


def _reasons(analyzer: Analyzer, image: np.ndarray) -> tuple[str, ...]:
    with pytest.raises(NotApplicable) as caught:
        analyzer.analyze(image)
    error = caught.value
    assert error.message.startswith("Not scored.") and error.reasons
    assert isinstance(error.evidence, applicability.Applicability) and not error.evidence.ok
    return error.reasons


@pytest.mark.parametrize("path", DERMOSCOPY, ids=lambda p: p.stem)
def test_shipped_dermoscopy_is_accepted_with_every_check_run(analyzer: Analyzer, path: Path) -> None:
    result = analyzer.analyze_file(path)
    verdict = result.applicability
    assert verdict is not None and verdict.ok
    assert verdict.ood_status == OodStatus.CHECKED and verdict.ood_distance is not None
    assert verdict.ood_distance <= verdict.ood_threshold
    assert verdict.appearance_score is not None and verdict.appearance_score <= verdict.appearance_threshold
    assert QualityIssue.APPLICABILITY_INCOMPLETE not in result.quality.issues
    assert result.to_dict()["applicability"]["applicable"] is True


def test_a_strip_is_refused_not_squeezed(analyzer: Analyzer) -> None:
    photo = read_rgb(PH2_IMAGES / "IMD006.jpg")
    strip = cv2.resize(photo, (10000, 50), interpolation=cv2.INTER_AREA)
    assert _reasons(analyzer, strip) == (Refusal.EXTREME_SHAPE,)
    assert _reasons(analyzer, np.ascontiguousarray(strip.swapaxes(0, 1))) == (Refusal.EXTREME_SHAPE,)
    # a 16:9 frame of the same photo is still a picture
    wide = cv2.resize(photo, (1280, 720))
    assert analyzer.analyze(wide).applicability.ok


def test_thumbnails_are_too_small(analyzer: Analyzer) -> None:
    photo = read_rgb(PH2_IMAGES / "IMD006.jpg")
    assert _reasons(analyzer, cv2.resize(photo, (80, 60), interpolation=cv2.INTER_AREA)) == (Refusal.TOO_SMALL,)


@pytest.mark.parametrize("seed", [1, 2, 3, 5])
def test_grey_pictures_have_no_colour(analyzer: Analyzer, seed: int) -> None:
    assert _reasons(analyzer, xray_like(seed))[0] == Refusal.NO_COLOUR
    _reasons(analyzer, xray_like(4 * seed))  # lightly tinted (a film photographed on a light box): refused too
    grey_photo = cv2.cvtColor(cv2.cvtColor(read_rgb(PH2_IMAGES / "IMD010.jpg"), cv2.COLOR_RGB2GRAY),
                              cv2.COLOR_GRAY2RGB)
    assert _reasons(analyzer, grey_photo)[0] == Refusal.NO_COLOUR  # a dermoscopy photo in grey is not judged


def test_tinted_grey_pictures_have_no_colour_spread() -> None:
    """An X-ray film on a light box, a sepia scan: one colour per lightness. Dermoscopy, even a pale one, has
    several side by side (skin, pigment, vessels)."""
    for seed in (4, 8, 12):
        film = applicability.measure_image(xray_like(seed))
        assert film.colour_spread < applicability.MIN_COLOUR_SPREAD, seed
    photo = read_rgb(PH2_IMAGES / "IMD010.jpg")
    grey = cv2.cvtColor(cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    sepia = np.clip(grey * np.array([1.07, 0.95, 0.8]), 0, 255).astype(np.uint8)
    evidence = applicability.measure_image(sepia)
    assert evidence.chroma >= applicability.MIN_CHROMA  # coloured enough for the chroma check alone
    assert applicability.image_reasons(evidence) == (Refusal.NO_COLOUR,)
    assert applicability.measure_image(photo).colour_spread > 2 * applicability.MIN_COLOUR_SPREAD


@pytest.mark.parametrize("make", [document, invoice_gradient, chart, colour_bars, cartoon],
                         ids=lambda f: f.__name__)
def test_graphics_are_refused(analyzer: Analyzer, make) -> None:  # noqa: ANN001 - a generator
    for seed in range(3):
        assert _reasons(analyzer, make(seed)), (make.__name__, seed)


def test_gradients_are_refused(analyzer: Analyzer) -> None:
    for seed in range(6):
        _reasons(analyzer, gradient(seed))


def test_skin_without_a_lesion(analyzer: Analyzer) -> None:
    """Lesion-free skin is refused as "no lesion found" (the learned score catches most held-out crops, see
    the card): this crop is one it must keep catching."""
    assert _reasons(analyzer, skin_without_lesion("IMD004")) == (Refusal.NO_LESION,)


def test_lesion_free_skin_of_the_shipped_photos_is_mostly_refused(analyzer: Analyzer) -> None:
    """Every shipped PH2 photo's largest lesion-free square, while the photos themselves are accepted
    (test_shipped_dermoscopy_is_accepted_with_every_check_run): nearly all refused, mostly as no lesion."""
    reasons = []
    for path in sorted(PH2_IMAGES.glob("*.jpg")):
        try:
            analyzer.analyze(skin_without_lesion(path.stem))
            reasons.append(None)
        except NotApplicable as refused:
            reasons.append(refused.reasons[0])
    assert sum(r is not None for r in reasons) >= len(reasons) - 1, reasons
    assert reasons.count(Refusal.NO_LESION) >= len(reasons) // 2, reasons


def test_a_real_photograph_is_refused_by_its_appearance(analyzer: Analyzer, models_dir: Path) -> None:
    """A photographed cup of coffee (held out of the calibration) passes every colour check (brown, textured,
    skin-hued) and the feature distance; the "not dermoscopy" appearance score is what refuses it."""
    from dataclasses import replace

    photo = read_rgb(COFFEE_PHOTO)
    evidence = applicability.measure_image(photo)
    assert not applicability.image_reasons(evidence)
    assert _reasons(analyzer, photo) == (Refusal.UNFAMILIAR,)
    ood, status = applicability.load_feature_distance(models_dir, analyzer.classifier.card.sha256)
    assert status == OodStatus.CHECKED and ood is not None and ood.not_dermoscopy is not None
    assert ood.looks_unlike_dermoscopy(evidence)
    _, lesion, features = analyzer.evidence(photo)
    verdict = applicability.judge(evidence, lesion, features, ood)
    assert verdict.reasons == (Refusal.UNFAMILIAR,) and verdict.appearance_score > verdict.appearance_threshold
    assert verdict.to_dict()["appearance_score"] == round(verdict.appearance_score, 3)
    assert "appearance score" in verdict.refuse().details
    without = replace(ood, not_dermoscopy=None)
    assert applicability.judge(evidence, lesion, features, without).ok  # only the appearance score sees it


@pytest.mark.parametrize("path", DERMOSCOPY, ids=lambda p: p.stem)
def test_appearance_of_dermoscopy_is_judged_alike_at_any_resolution(models_dir: Path, analyzer: Analyzer,
                                                                      path: Path) -> None:
    """The appearance is a set of shares of the scene, measured at most 256 px: the same photo at full,
    half and a quarter of its size scores nearly the same, and never as "not dermoscopy"."""
    ood, _ = applicability.load_feature_distance(models_dir, analyzer.classifier.card.sha256)
    assert ood is not None and ood.not_dermoscopy is not None
    photo = read_rgb(path)
    scores = []
    for scale in (1.0, 0.5, 0.25):
        small = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else photo
        e = applicability.measure_image(small)
        look = np.asarray(e.appearance)
        assert look.shape == (applicability.APPEARANCE_SIZE,)
        assert abs(look[:1 + applicability.HUE_BINS * 3].sum() - 1.0) < 1e-3  # grey + hue x chroma: every pixel
        assert abs(look[1 + applicability.HUE_BINS * 3:][:8].sum() - 1.0) < 1e-3  # lightness histogram
        scores.append(ood.not_dermoscopy(applicability.appearance_inputs(e)))
        assert not ood.looks_unlike_dermoscopy(e), (path.name, scale)
    assert max(scores) - min(scores) < 1.0, scores


def test_scores_of_another_version_are_not_used(tmp_path: Path, models_dir: Path) -> None:
    """A card whose learned scores read another number of inputs (an older calibration) is not used."""
    target = tmp_path / "models"
    shutil.copytree(models_dir, target, ignore=shutil.ignore_patterns("*.md"))
    card = json.loads((target / applicability.CARD_FILE).read_text())
    card["lesion_score"]["weights"] = card["lesion_score"]["weights"][:5]
    (target / applicability.CARD_FILE).write_text(json.dumps(card))
    assert Analyzer.from_models_dir(target, provider="cpu").applicability_status == OodStatus.UNAVAILABLE


def test_a_lesion_cut_by_the_edge_is_scored_with_a_warning(analyzer: Analyzer) -> None:
    """Full-frame lesions are common dermoscopy (14 % of PH2 touch the edge; PH2 is refused 1 in 150, see
    the card): warned, not refused. A photo cut through the middle of its lesion is harsher: most are
    scored with the warning; the no-lesion score may refuse one, but none is ever scored without it."""
    scored = 0
    for image_id in ("IMD006", "IMD010", "IMD105"):
        try:
            result = analyzer.analyze(lesion_cut_by_edge(image_id))
        except NotApplicable as refused:
            assert refused.reasons[0] == Refusal.NO_LESION, image_id
            continue
        assert QualityIssue.LESION_CUT in result.quality.issues and not result.trustworthy, image_id
        scored += 1
    assert scored >= 2
    assert QualityIssue.LESION_CUT not in analyzer.analyze(read_rgb(PH2_IMAGES / "IMD006.jpg")).quality.issues


def test_lesion_evidence_on_masks() -> None:
    mask = np.zeros((200, 300), bool)
    cv2.circle(mask.view(np.uint8), (150, 100), 50, 1, -1)
    whole = applicability.measure_lesion(mask)
    assert whole.cut_share == 0 and 0.1 < whole.lesion_share < 0.15 and not applicability.lesion_is_cut(whole)
    half = applicability.measure_lesion(np.ascontiguousarray(mask[:, 150:]))
    assert half.cut_share > applicability.MAX_CUT_SHARE and applicability.lesion_is_cut(half)
    empty = applicability.measure_lesion(np.zeros((50, 50), bool))
    assert empty.lesion_share == 0 and not applicability.lesion_is_cut(empty)
    # contrast: a dark disc on skin-coloured ground is far from its surround; the same disc in skin colour is not
    skin = np.full((200, 300, 3), (200, 150, 130), np.uint8)
    dark = skin.copy()
    dark[mask] = (90, 60, 40)
    assert applicability.measure_lesion(mask, dark).contrast > 30
    assert applicability.measure_lesion(mask, skin).contrast < 1


def test_every_reason_has_words_and_advice() -> None:
    for reason in Refusal:
        text = refusal_text(reason)
        assert text and text != refusal_text("unknown-code")
        assert refusal_message((reason,)).startswith("Not scored. " + text)


def test_stale_statistics_are_not_used(tmp_path: Path, models_dir: Path) -> None:
    """Statistics fitted for another classifier file: the learned part is off and every result says so."""
    target = tmp_path / "models"
    shutil.copytree(models_dir, target, ignore=shutil.ignore_patterns("*.md"))
    card = json.loads((target / applicability.CARD_FILE).read_text())
    card["feature_distance"]["classifier_sha256"] = "0" * 64
    (target / applicability.CARD_FILE).write_text(json.dumps(card))
    stale = Analyzer.from_models_dir(target, provider="cpu")
    assert stale.applicability_status == OodStatus.STALE
    result = stale.analyze_file(PH2_IMAGES / "IMD006.jpg")
    assert result.applicability.ood_status == OodStatus.STALE and result.applicability.ood_distance is None
    assert QualityIssue.APPLICABILITY_INCOMPLETE in result.quality.issues and not result.trustworthy
    # the cheap checks still run
    with pytest.raises(NotApplicable):
        stale.analyze(xray_like(1))
    (target / applicability.CARD_FILE).unlink()
    assert Analyzer.from_models_dir(target, provider="cpu").applicability_status == OodStatus.UNAVAILABLE


def test_statistics_file_must_match_its_hash(tmp_path: Path, models_dir: Path) -> None:
    target = tmp_path / "models"
    shutil.copytree(models_dir, target, ignore=shutil.ignore_patterns("*.md"))
    stats = target / json.loads((target / applicability.CARD_FILE).read_text())["feature_distance"]["file"]
    data = bytearray(stats.read_bytes())
    data[-10] ^= 0xFF
    stats.write_bytes(bytes(data))
    assert Analyzer.from_models_dir(target, provider="cpu").applicability_status == OodStatus.STALE


def test_evaluation_may_score_without_the_check(analyzer: Analyzer) -> None:
    """Only model evaluation on known dermoscopy passes applicability_check=False; the verdict still travels."""
    result = analyzer.analyze(xray_like(1), applicability_check=False)
    assert not result.applicability.ok and result.applicability.reasons[0] == Refusal.NO_COLOUR
