"""accelprobe: which accelerated-inference backends are really installed, and which to use.

Importing the package detects ONNX Runtime, OpenVINO, Intel Extension for PyTorch,
optimum-intel and optimum-onnx once, without importing any of them.
"""

from accelprobe.backends import (
    ACCELERATORS,
    ONNXRUNTIME_DISTRIBUTIONS,
    OPENVINO_DISTRIBUTIONS,
    Detection,
    all_backends,
    available_accelerators,
    backend_info,
    detection,
    installed_version,
    is_backend_version,
    is_ipex_available,
    is_onnxruntime_available,
    is_openvino_available,
    is_optimum_intel_available,
    is_optimum_onnx_available,
    model_class,
    refresh,
    require,
    select_accelerator,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from accelprobe.backends import Accelerator, BackendInfo, ModelClass

    __version__: str

__all__ = [
    "ACCELERATORS",
    "ONNXRUNTIME_DISTRIBUTIONS",
    "OPENVINO_DISTRIBUTIONS",
    "Accelerator",
    "BackendInfo",
    "Detection",
    "ModelClass",
    "all_backends",
    "available_accelerators",
    "backend_info",
    "detection",
    "installed_version",
    "is_backend_version",
    "is_ipex_available",
    "is_onnxruntime_available",
    "is_openvino_available",
    "is_optimum_intel_available",
    "is_optimum_onnx_available",
    "model_class",
    "refresh",
    "require",
    "select_accelerator",
]


if not TYPE_CHECKING:  # pragma: no branch - False only for type checkers, which skip it

    def __getattr__(name: str) -> object:
        """Resolve ``__version__``, ``BackendInfo``, ``ModelClass`` and ``Accelerator`` lazily."""
        if name == "__version__":  # read as detection reads metadata: no importlib.metadata
            from accelprobe._version import own_version  # this copy's, even from a wheel

            return own_version() or installed_version("accelprobe") or "0+unknown"
        if name in {"BackendInfo", "ModelClass", "Accelerator"}:
            from accelprobe import backends

            return getattr(backends, name)
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)

    def __dir__() -> list[str]:
        """The module's names, with those resolved on first use."""
        return sorted({*globals(), *__all__, "__version__"})


del TYPE_CHECKING  # dir(accelprobe) shows the public names alone
