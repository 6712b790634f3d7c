"""Model cards (``models/NAME.json``): what a model expects and promises, parsed into frozen values.

The card is the contract between training and the app: input geometry, normalisation, output names,
classes, calibration and operating threshold. Anything the app needs is read from it, never assumed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dermstation.core.errors import ModelLoadError
from dermstation.core.i18n import _
from dermstation.inference.preprocess import StepSpec

TASKS = ("classification", "segmentation")
REQUIRED_OUTPUTS = {"classification": ("logits", "class_maps"), "segmentation": ("probability",)}


@dataclass(frozen=True)
class TensorSpec:
    """An ONNX input as the card states it; ``None`` in ``shape`` is a free (dynamic) dimension."""

    name: str
    shape: tuple[int | None, ...]
    dtype: str = "float32"
    layout: str = "NCHW"

    @property
    def height(self) -> int | None:
        return self.shape[2] if len(self.shape) == 4 else None

    @property
    def width(self) -> int | None:
        return self.shape[3] if len(self.shape) == 4 else None


@dataclass(frozen=True)
class OperatingThreshold:
    malignancy: float
    chosen_on: str = ""
    rule: str = ""


@dataclass(frozen=True)
class ModelCard:
    """One parsed ``NAME.json``. ``path`` is the card file, ``model_path`` the ONNX file it describes."""

    path: Path
    name: str
    version: str
    task: str
    file: str
    sha256: str
    input: TensorSpec
    outputs: tuple[tuple[str, str], ...]  # (role, ONNX output name)
    preprocessing: tuple[StepSpec, ...]
    opset: int | None = None
    classes: tuple[str, ...] = ()
    malignant_classes: tuple[str, ...] = ()
    temperature: float = 1.0
    operating_threshold: OperatingThreshold | None = None
    threshold: float = 0.5
    geometry: str = ""
    licence: str = ""
    metrics: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    raw: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    @property
    def model_path(self) -> Path:
        return self.path.parent / self.file

    def output(self, role: str) -> str:
        """The ONNX output name that plays ``role`` (``logits``, ``class_maps``, ``probability``)."""
        for r, name in self.outputs:
            if r == role:
                return name
        raise ModelLoadError(_("The model card {name} names no '{role}' output").format(name=self.path.name, role=role))

    def step(self, name: str) -> StepSpec | None:
        """The first preprocessing step called ``name``, if the card lists one."""
        return next((s for s in self.preprocessing if s.name == name), None)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def parse_card(raw: Mapping[str, Any], path: Path) -> ModelCard:
    """Build a ``ModelCard`` from decoded JSON; anything missing or malformed is a ``ModelLoadError``."""
    where = path.name
    try:
        task = str(raw["task"])
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}")
        inp = raw["input"]
        shape = tuple(None if d is None or isinstance(d, str) else int(d) for d in inp["shape"])
        spec = TensorSpec(str(inp["name"]), shape, str(inp.get("dtype", "float32")), str(inp.get("layout", "NCHW")))
        outputs_raw = raw["outputs"]
        if not isinstance(outputs_raw, Mapping):
            raise ValueError("'outputs' must map roles to output names")
        outputs = tuple((str(k), str(v)) for k, v in outputs_raw.items())
        missing = [r for r in REQUIRED_OUTPUTS[task] if r not in dict(outputs)]
        if missing:
            raise ValueError(f"'outputs' lacks {', '.join(missing)}")
        steps_raw: Sequence[Mapping[str, Any]] = raw.get("preprocessing", [])
        steps = tuple(StepSpec.parse(s) for s in steps_raw)
        op = raw.get("operating_threshold")
        op_thr = None
        if isinstance(op, Mapping) and "malignancy" in op:
            op_thr = OperatingThreshold(float(op["malignancy"]), str(op.get("chosen_on", "")), str(op.get("rule", "")))
        classes = tuple(str(c) for c in raw.get("classes", ()))
        if task == "classification":
            if not classes:
                raise ValueError("a classifier card must list its 'classes'")
            if op_thr is None:
                raise ValueError("a classifier card must state 'operating_threshold.malignancy'")
        malignant = tuple(str(c) for c in raw.get("malignant_classes", ()))
        unknown = [c for c in malignant if c not in classes]
        if unknown:
            raise ValueError(f"malignant classes {unknown} are not among the classes")
        temperature = float(raw.get("temperature", 1.0))
        if not temperature > 0:
            raise ValueError("'temperature' must be positive")
        return ModelCard(
            path=path,
            name=str(raw["name"]),
            version=str(raw["version"]),
            task=task,
            file=str(raw["file"]),
            sha256=str(raw["sha256"]).lower(),
            input=spec,
            outputs=outputs,
            preprocessing=steps,
            opset=int(raw["opset"]) if raw.get("opset") is not None else None,
            classes=classes,
            malignant_classes=malignant,
            temperature=temperature,
            operating_threshold=op_thr,
            threshold=float(raw.get("threshold", 0.5)),
            geometry=str(raw.get("geometry", "")),
            licence=str(raw.get("licence", "")),
            metrics=_freeze(raw.get("metrics", {})),
            raw=_freeze(dict(raw)),
        )
    except ModelLoadError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise ModelLoadError(_("The model card {where} is invalid").format(where=where), f"{path}: {detail}") from exc


def load_card(path: Path) -> ModelCard:
    """Read and parse a card file."""
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(_("The model card {name} is missing").format(name=path.name), str(path))
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(_("The model card {name} cannot be read").format(name=path.name), f"{path}: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise ModelLoadError(_("The model card {name} is invalid").format(name=path.name), f"{path}: not a JSON object")
    return parse_card(raw, path)
