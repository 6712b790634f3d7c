"""What is installed and whether it works: ``dermstation --version``, ``dermstation doctor``, Help → About.

The version line names the program and every bundled model with the sha256 of its file, so a clinic's IT
person can check a workstation against the published checksums. The doctor runs the checks a support
call would: models intact, which execution provider runs them, data directory writable, database
reachable, fonts and translations present.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import dermstation
from dermstation.core.config import PROJECT_ROOT
from dermstation.core.config import models_dir as bundled_models_dir
from dermstation.core.i18n import _


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: str
    file: str
    sha256: str  # as the card states it
    file_ok: bool  # the file is there and has that hash


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def model_versions(models_dir: Path | None = None) -> tuple[ModelVersion, ...]:
    """Every model card in the models folder, with whether its ONNX file matches the card's hash."""
    from dermstation.inference.model_card import load_card
    from dermstation.inference.runtime import file_sha256

    folder = models_dir or bundled_models_dir()
    found = []
    for card_path in sorted(folder.glob("*.json")):
        try:
            card = load_card(card_path)
        except Exception:  # noqa: BLE001 - a side file (statistics, not a card) is not a model
            continue
        ok = card.model_path.is_file() and file_sha256(card.model_path) == card.sha256
        found.append(ModelVersion(card.name, card.version, card.file, card.sha256, ok))
    return tuple(found)


def version_text(models_dir: Path | None = None) -> str:
    frozen = _(" (packaged build)") if getattr(sys, "frozen", False) else ""
    lines = [f"DermStation {dermstation.__version__}{frozen}"]
    for m in model_versions(models_dir):
        state = "" if m.file_ok else "  " + _("FILE DOES NOT MATCH ITS CARD")
        lines.append(f"  {m.name} {m.version}  {m.file}  sha256 {m.sha256}{state}")
    return "\n".join(lines)


def _writable(folder: Path) -> tuple[bool, str]:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as exc:
        return False, f"{folder}: {exc.strerror or exc}"
    return True, str(folder)


def doctor(models_dir: Path | None = None) -> list[Check]:
    """Run every check; each says what it found (never raises)."""
    from dermstation.core.config import database_url, default_paths, load_settings

    checks: list[Check] = []
    models = model_versions(models_dir)
    checks.append(Check(_("Models"), bool(models) and all(m.file_ok for m in models),
                        ", ".join(f"{m.name} {m.version}{'' if m.file_ok else ' (damaged)'}" for m in models)
                        or _("no model cards found")))
    try:
        import onnxruntime as ort

        from dermstation.inference.runtime import usable_providers

        usable = usable_providers()
        detail = _("runs on {provider}; onnxruntime {version} offers {offered}").format(
            provider=usable[0], version=ort.__version__, offered=", ".join(ort.get_available_providers()))
        checks.append(Check(_("Execution provider"), True, detail))
    except Exception as exc:  # noqa: BLE001 - the doctor reports, it does not crash
        checks.append(Check(_("Execution provider"), False, str(exc)))
    paths = default_paths()
    ok, detail = _writable(paths.data_dir)
    checks.append(Check(_("Data directory"), ok, detail))
    try:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        url = database_url(paths, load_settings(paths))
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
            raise FileNotFoundError(_("no database yet at {path}: the first start creates it").format(
                path=parsed.database))
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        checks.append(Check(_("Database"), True, url.split("@")[-1]))
    except FileNotFoundError as exc:
        checks.append(Check(_("Database"), True, str(exc)))
    except Exception as exc:  # noqa: BLE001
        checks.append(Check(_("Database"), False, str(exc).splitlines()[0][:200]))
    from dermstation.reports.fonts import FONTS_DIR

    fonts = list(FONTS_DIR.glob("*.[ot]tf"))
    checks.append(Check(_("Report fonts"), bool(fonts), _("{n} fonts").format(n=len(fonts))))
    catalogues = sorted(p.parent.parent.name for p in (PROJECT_ROOT / "translations").glob("*/LC_MESSAGES/*.po"))
    checks.append(Check(_("Translations"), bool(catalogues), ", ".join(catalogues)))
    checks.append(Check(_("Program"), True, f"{sys.executable} (Python {sys.version.split()[0]}, "
                                            f"{'packaged' if getattr(sys, 'frozen', False) else 'from source'}, "
                                            f"{os.cpu_count()} cores)"))
    return checks
