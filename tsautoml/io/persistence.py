"""Save and load fitted models: a pickle plus a JSON manifest of versions, settings and schema."""

from __future__ import annotations

import json
import pickle
import platform
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from tsautoml.exceptions import TsAutoMLError

__all__ = ["MANIFEST", "MODEL", "load_object", "save_object", "versions"]

MODEL = "model.pkl"
MANIFEST = "manifest.json"
_PACKAGES = ("tsautoml", "numpy", "pandas", "scikit-learn", "lightgbm", "statsforecast", "numba", "optuna")


def versions() -> dict[str, str]:
    """Python and the versions of the packages a fitted model depends on."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def save_object(obj: Any, path: str | Path, manifest: dict[str, Any]) -> Path:
    """Write ``obj`` to ``path/model.pkl`` and ``manifest`` (plus versions) to ``path/manifest.json``."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / MODEL, "wb") as fh:
        pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
    full = {"format": 1, "versions": versions(), **manifest}
    (folder / MANIFEST).write_text(json.dumps(full, indent=2, default=str))
    return folder


def load_object(path: str | Path) -> Any:
    """Read what :func:`save_object` wrote; warn if package versions differ, fail clearly if unreadable."""
    folder = Path(path)
    if not (folder / MODEL).exists() or not (folder / MANIFEST).exists():
        raise TsAutoMLError(f"{folder} holds no saved tsautoml model ({MODEL} and {MANIFEST} are needed).")
    manifest = json.loads((folder / MANIFEST).read_text())
    saved, current = manifest.get("versions", {}), versions()
    differ = {k: (saved[k], current.get(k)) for k in saved if saved[k] != current.get(k)}
    if differ:
        listed = ", ".join(f"{k} {a} -> {b}" for k, (a, b) in sorted(differ.items()))
        warnings.warn(
            f"The model in {folder} was saved with other versions ({listed}); predictions may differ. "
            "Install the saved versions to reproduce them exactly.",
            UserWarning,
            stacklevel=3,
        )
    try:
        with open(folder / MODEL, "rb") as fh:
            return pickle.load(fh)
    except Exception as exc:
        listed = ", ".join(f"{k}=={v}" for k, v in sorted(saved.items()))
        raise TsAutoMLError(
            f"Could not load {folder / MODEL} ({type(exc).__name__}: {exc}). It was saved with {listed}; "
            "install those versions to load it."
        ) from exc
