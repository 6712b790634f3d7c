"""onnxruntime sessions: verified against their model card, built once per model, GPU when it works.

Providers are tried in the order TensorRT -> CUDA -> CPU. onnxruntime-gpu on a machine without a
working CUDA stack prints errors (and, from its Python wrapper, "EP Error" lines on stdout) when it is
asked for a GPU provider it cannot load, so we probe the provider libraries first, create GPU sessions
with the wrapper's output captured, and fall back to CPU quietly. The provider that really runs the
model (``session.get_providers()[0]``) is what we report.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import io
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import onnxruntime as ort

from dermstation.core.errors import InferenceError, ModelLoadError
from dermstation.core.i18n import _
from dermstation.inference.model_card import ModelCard, load_card

log = logging.getLogger(__name__)

TENSORRT = "TensorrtExecutionProvider"
CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
PROVIDER_NAMES = {TENSORRT: "TensorRT", CUDA: "CUDA", CPU: "CPU"}

# 3 = errors only from our own sessions; probing keeps GPU failures from ever reaching that level.
ORT_LOG_SEVERITY = 3
ort.set_default_logger_severity(ORT_LOG_SEVERITY)


def _can_load(library: str) -> bool:
    try:
        ctypes.CDLL(library, mode=getattr(os, "RTLD_LAZY", 1))
        return True
    except OSError:
        return False


@cache
def _cuda_device_present() -> bool:
    """True when the CUDA driver loads, initialises and sees at least one device."""
    try:
        libcuda = ctypes.CDLL("libcuda.so.1") if os.name != "nt" else ctypes.CDLL("nvcuda.dll")
    except OSError:
        return False
    try:
        if libcuda.cuInit(0) != 0:
            return False
        count = ctypes.c_int(0)
        return libcuda.cuDeviceGetCount(ctypes.byref(count)) == 0 and count.value > 0
    except (AttributeError, OSError):
        return False


def _provider_library(provider: str) -> Path | None:
    stem = {TENSORRT: "onnxruntime_providers_tensorrt", CUDA: "onnxruntime_providers_cuda"}[provider]
    capi = Path(ort.__file__).parent / "capi"
    for name in (f"lib{stem}.so", f"{stem}.dll"):
        if (capi / name).exists():
            return capi / name
    return None


@cache
def usable_providers() -> tuple[str, ...]:
    """The providers that can really run here, best first (CPU always last)."""
    available = set(ort.get_available_providers())
    found: list[str] = []
    if _cuda_device_present():
        # CUDA/cuDNN may come as pip wheels (nvidia-*): let onnxruntime put them on the loader's path
        preload = getattr(ort, "preload_dlls", None)
        if preload is not None:
            try:
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    preload()
            except Exception as exc:  # noqa: BLE001 - a failed preload only means "probe as is"
                log.debug("onnxruntime.preload_dlls failed: %s", exc)
        for provider in (TENSORRT, CUDA):
            lib = _provider_library(provider)
            # loading the provider library resolves cuBLAS/cuDNN/TensorRT: if it loads, they are there
            if provider in available and lib is not None and _can_load(str(lib)):
                found.append(provider)
    found.append(CPU)
    return tuple(found)


def provider_order(preference: str = "auto") -> tuple[str, ...]:
    """``auto`` -> every usable provider best first; ``cpu``/``cuda``/``tensorrt`` -> that one, then CPU."""
    pref = preference.lower()
    if pref == "cpu":
        return (CPU,)
    usable = usable_providers()
    if pref == "auto":
        return usable
    wanted = {"cuda": CUDA, "tensorrt": TENSORRT}.get(pref)
    if wanted is None:
        raise ValueError(f"unknown execution provider {preference!r} (auto, cpu, cuda, tensorrt)")
    return tuple(p for p in usable if p == wanted) + (CPU,)


def session_options(threads: int | None = None) -> ort.SessionOptions:
    """Options measured in benchmarks/README.md: full graph optimisation, one intra-op thread per core,
    no spinning."""
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads or (os.cpu_count() or 1)
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.enable_mem_pattern = True
    opts.enable_cpu_mem_arena = True
    opts.log_severity_level = ORT_LOG_SEVERITY
    # no busy-waiting: the two sessions alternate with OpenCV work, and one session's spinning threads
    # starve the other; the whole analysis measured 2x faster without (benchmarks/README.md)
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return opts


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def provider_options(provider: str) -> dict[str, str]:
    """TensorRT builds an engine per model and input shape (minutes): cache them between runs."""
    if provider != TENSORRT:
        return {}
    import platformdirs

    cache = Path(platformdirs.user_cache_dir("DermStation", "DermStation")) / "tensorrt"
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        return {}
    return {"trt_engine_cache_enable": "True", "trt_engine_cache_path": str(cache),
            "trt_timing_cache_enable": "True", "trt_timing_cache_path": str(cache)}


def _shape_matches(card_shape: tuple[int | None, ...], model_shape: list) -> bool:
    if len(card_shape) != len(model_shape):
        return False
    for c, m in zip(card_shape, model_shape, strict=True):
        m_int = m if isinstance(m, int) else None
        if (c is None) != (m_int is None):
            return False
        if c is not None and c != m_int:
            return False
    return True


def _describe(shape: list) -> str:
    return "[" + ", ".join(str(d) if isinstance(d, int) else "N" for d in shape) + "]"


def _verify_io(card: ModelCard, session: ort.InferenceSession) -> None:
    """The ONNX graph must have exactly the input and outputs the card states."""
    file = card.model_path.name
    inputs = {i.name: i for i in session.get_inputs()}
    if card.input.name not in inputs:
        raise ModelLoadError(
            _("The model {file} does not match its card").format(file=file),
            f"input {card.input.name!r} expected, the file has {sorted(inputs)}",
        )
    actual = inputs[card.input.name].shape
    if not _shape_matches(card.input.shape, actual):
        expected = [d if d is not None else "N" for d in card.input.shape]
        raise ModelLoadError(
            _("The model {file} does not match its card").format(file=file),
            f"input {card.input.name!r} has shape {_describe(actual)}, the card says {expected}",
        )
    if inputs[card.input.name].type != "tensor(float)":
        raise ModelLoadError(_("The model {file} does not match its card").format(file=file), "input is not float32")
    outputs = {o.name: o for o in session.get_outputs()}
    for role, name in card.outputs:
        if name not in outputs:
            raise ModelLoadError(
                _("The model {file} does not match its card").format(file=file),
                f"output {name!r} ({role}) expected, the file has {sorted(outputs)}",
            )
    if card.task == "classification":
        k = len(card.classes)
        for role, rank in (("logits", 2), ("class_maps", 4)):
            shape = outputs[card.output(role)].shape
            if len(shape) != rank or (isinstance(shape[1], int) and shape[1] != k):
                raise ModelLoadError(
                    _("The model {file} does not match its card").format(file=file),
                    f"output {role} has shape {_describe(shape)}, expected rank {rank} with {k} classes",
                )


def _create_session(path: Path, providers: tuple[str, ...], threads: int | None) -> ort.InferenceSession:
    """Try each provider in order; a GPU provider that fails to initialise is skipped silently."""
    last_error: Exception | None = None
    for i, provider in enumerate(providers):
        # nodes the first provider cannot run fall back to the ones after it (TensorRT -> CUDA -> CPU)
        chain = [(p, provider_options(p)) for p in providers[i:]]
        sink = io.StringIO()
        opts = session_options(threads)
        if provider != CPU:
            # a GPU that passed the probe can still fail here (driver/cuDNN mismatch): that is a
            # fallback, not an error the user should see on stderr
            opts.log_severity_level = 4
            ort.set_default_logger_severity(4)
        try:
            # the wrapper prints its own fallback chatter: keep it out of our stdout/stderr (CLI JSON)
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                session = ort.InferenceSession(str(path), sess_options=opts, providers=chain)
        except Exception as exc:  # noqa: BLE001 - ORT raises its own Fail/RuntimeError types
            last_error = exc
            if provider != CPU:
                log.info("%s unavailable for %s, trying the next provider: %s", provider, path.name, exc)
                continue
            break
        finally:
            ort.set_default_logger_severity(ORT_LOG_SEVERITY)
        if sink.getvalue():
            log.debug("onnxruntime said while loading %s: %s", path.name, sink.getvalue().strip())
        return session
    raise ModelLoadError(
        _("The model file {path} is corrupt or cannot be loaded").format(path=path.name), f"{path}: {last_error}"
    ) from last_error


@dataclass(frozen=True)
class ModelInfo:
    """What a result records about the model that produced it."""

    name: str
    version: str
    file: str
    sha256: str


class ModelSession:
    """A verified model: its card, its onnxruntime session, and the provider that runs it.

    ``run`` is safe to call from several threads at once (onnxruntime sessions are).
    """

    def __init__(self, card: ModelCard, session: ort.InferenceSession) -> None:
        self.card = card
        self._session = session
        self.provider = session.get_providers()[0]
        self._output_names = [name for _, name in card.outputs]
        self._roles = [role for role, _ in card.outputs]
        self._batch_fixed = isinstance(session.get_inputs()[0].shape[0], int)

    @property
    def provider_name(self) -> str:
        return PROVIDER_NAMES.get(self.provider, self.provider)

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(self.card.name, self.card.version, self.card.file, self.card.sha256)

    def run(self, batch: np.ndarray) -> Mapping[str, np.ndarray]:
        """Run an (N, C, H, W) float32 batch; returns the outputs by role."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        try:
            if self._batch_fixed and batch.shape[0] != 1:
                parts = [self._session.run(self._output_names, {self.card.input.name: batch[i : i + 1]})
                         for i in range(batch.shape[0])]
                outs = [np.concatenate([p[j] for p in parts]) for j in range(len(self._output_names))]
            else:
                outs = self._session.run(self._output_names, {self.card.input.name: batch})
        except Exception as exc:  # noqa: BLE001
            raise InferenceError(_("The model {file} failed while running").format(file=self.card.file), str(exc)) from exc
        return dict(zip(self._roles, outs, strict=True))


_cache: dict[tuple, ModelSession] = {}
_cache_lock = threading.Lock()


def load_model(
    card_path: Path, provider: str = "auto", threads: int | None = None, expected_task: str | None = None
) -> ModelSession:
    """Verify card, file hash and graph, then return the (cached) session for ``card_path``.

    A missing, corrupt or mismatched model raises ``ModelLoadError`` naming the file.
    """
    card_path = Path(card_path)
    card = load_card(card_path)
    if expected_task and card.task != expected_task:
        raise ModelLoadError(
            _("The model card {card_path} describes a {task} model").format(card_path=card_path.name, task=card.task),
            f"expected {expected_task}"
        )
    model_path = card.model_path
    if not model_path.is_file():
        raise ModelLoadError(_("The model file {name} is missing").format(name=model_path.name), str(model_path))
    stat = model_path.stat()
    key = (str(model_path.resolve()), stat.st_mtime_ns, stat.st_size, card_path.stat().st_mtime_ns, provider, threads)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        actual = file_sha256(model_path)
        if actual != card.sha256:
            raise ModelLoadError(
                _("The model file {model_path} does not match its card (sha256)").format(model_path=model_path.name),
                f"{model_path}: sha256 {actual}, the card {card_path.name} says {card.sha256}",
            )
        session = _create_session(model_path, provider_order(provider), threads)
        _verify_io(card, session)
        model = ModelSession(card, session)
        log.info("loaded %s %s on %s", card.name, card.version, model.provider_name)
        _cache[key] = model
        return model


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
