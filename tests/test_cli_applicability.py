"""``dermstation analyze`` refuses what is not dermoscopy of a skin lesion, file by file, with a reason code.

Real files for every reason (tests/applicability_samples.py) go through the CLI in one batch with a
real dermoscopy photo: the photo is scored, every other file gets ``"ok": false``, its name, a reason
code and a message, and no class, probability or malignancy flag; the exit status is 1.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from applicability_samples import DERMOSCOPY, write_refused
from sample_data import PH2_IMAGES

from dermstation.cli import main
from dermstation.core.refusals import Refusal

SCORE_KEYS = {"prediction", "prediction_probability", "probabilities", "malignancy", "suspicious", "threshold"}


def test_batch_refuses_each_non_dermoscopy_file_and_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    expected = write_refused(folder)
    assert set(expected.values()) == {str(r) for r in Refusal}  # a real file for every reason
    shutil.copy(PH2_IMAGES / DERMOSCOPY, folder / DERMOSCOPY)
    out, err = io.StringIO(), io.StringIO()
    code = main(["analyze", str(folder), "--json", "--provider", "cpu"], stdout=out, stderr=err)
    rows = {Path(r["file"]).name: r for r in map(json.loads, out.getvalue().splitlines())}
    assert code == 1
    assert set(rows) == {*expected, DERMOSCOPY}
    assert rows[DERMOSCOPY]["ok"] and rows[DERMOSCOPY]["applicability"]["applicable"]
    for name, reason in expected.items():
        row = rows[name]
        assert row["ok"] is False and row.get("refused") is True, (name, row)
        assert row["reason"] == reason, (name, row["reason"], row.get("applicability"))
        assert row["message"].startswith(("Not scored.", name)) and row["reasons"][0] == reason
        assert not SCORE_KEYS & set(row), name  # no class, no probabilities, no flag
        assert f"not scored ({reason}): {folder / name}" in err.getvalue()
    assert f"{len(expected)} of {len(expected) + 1} file(s)" in err.getvalue()


def test_text_output_prints_only_the_scored_file(tmp_path: Path) -> None:
    folder = tmp_path / "two"
    folder.mkdir()
    write_refused(tmp_path / "all")
    shutil.copy(tmp_path / "all" / "xray.png", folder / "xray.png")
    shutil.copy(PH2_IMAGES / DERMOSCOPY, folder / DERMOSCOPY)
    out, err = io.StringIO(), io.StringIO()
    code = main([str(folder / "xray.png"), str(folder / DERMOSCOPY), "--provider", "cpu"], stdout=out, stderr=err)
    assert code == 1
    assert DERMOSCOPY in out.getvalue() and "xray.png" not in out.getvalue()
    assert "not scored (no_colour)" in err.getvalue() and "X-ray" in err.getvalue()
