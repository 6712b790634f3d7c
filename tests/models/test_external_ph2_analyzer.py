"""The external test through the app's own code path: every PH² image with a clinical diagnosis goes
through ``Analyzer.analyze_file`` (safe decoding, segmenter, mask, lesion crop, colour constancy,
classifier, temperature), and the melanoma-vs-nevus numbers must match the card's ``external_ph2``.

test_model_cards.py recomputes the same numbers with the training package's pipeline; this test proves
the app does exactly what training and evaluation did, on images from another hospital's dermatoscope.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from sample_data import needs_shared_data

from dermstation.inference.analyzer import Analyzer
from training.data import MODELS, ph2_items
from training.metrics import binary_ece, roc_auc, sens_spec

TOL = 0.005
pytestmark = needs_shared_data("ph2/diagnoses.csv")


@pytest.fixture(scope="module")
def app_scores() -> tuple[np.ndarray, np.ndarray, float]:
    analyzer = Analyzer.from_models_dir(MODELS, provider="cpu")
    items = [it for it in ph2_items() if it.diagnosis]
    assert len(items) == 150, "diagnoses.csv should label all 150 shared PH² images"
    # the card's numbers are over all 150 images; the applicability check refuses a few of them in the app
    # (tests/models/test_applicability_card.py), so the evaluation scores them regardless
    results = [analyzer.analyze_file(it.image, applicability_check=False) for it in items]
    is_mel = np.array([it.diagnosis == "melanoma" for it in items])
    # the app flags with its own threshold: every result carries the card's value
    assert {r.threshold for r in results} == {analyzer.threshold}
    flagged = np.array([r.is_suspicious for r in results])
    return is_mel, np.array([r.malignancy for r in results]), flagged


def test_app_reproduces_the_external_auc_and_operating_point(app_scores) -> None:
    is_mel, malignancy, flagged = app_scores
    card = json.loads((MODELS / "classifier.json").read_text())["metrics"]["external_ph2"]
    assert int(is_mel.sum()) == card["n_melanoma"] == 30
    assert abs(roc_auc(is_mel, malignancy) - card["auc"]) <= TOL, (roc_auc(is_mel, malignancy), card["auc"])
    sens, spec = sens_spec(is_mel, flagged)
    assert abs(sens - card["sensitivity"]) <= TOL and abs(spec - card["specificity"]) <= TOL, (sens, spec, card)
    ece = binary_ece(malignancy, is_mel.astype(float))
    assert abs(ece - card["malignancy_ece"]) <= TOL, (ece, card["malignancy_ece"])


def test_melanomas_score_higher_than_nevi_on_the_other_dermatoscope(app_scores) -> None:
    """Goal-independent floor: a model that lost its device robustness (or a broken pipeline) fails here."""
    is_mel, malignancy, _ = app_scores
    assert roc_auc(is_mel, malignancy) > 0.7
    assert np.median(malignancy[is_mel]) > np.median(malignancy[~is_mel])
