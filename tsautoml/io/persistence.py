"""Save and load fitted models: a pickle plus a JSON manifest of versions, settings and schema."""

from __future__ import annotations

import hashlib
import json
import pickle
import platform
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from tsautoml.exceptions import StorageError, TsAutoMLWarning
from tsautoml.io.files import write_atomically

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


def save_object(obj: Any, path: str | Path, manifest: dict[str, Any], *, overwrite: bool = False) -> Path:
    """Write ``obj`` to ``path/model.pkl`` and ``manifest`` (versions, the pickle's sha256) to ``path/manifest.json``.

    Each file is written under a temporary name and then renamed, so that a crash never leaves
    half a model; a folder that already holds a model is only replaced with ``overwrite=True``.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise StorageError(f"{folder} is a file, not a folder: save(path) writes a folder with {MODEL} and {MANIFEST}.")
    if not overwrite and ((folder / MODEL).exists() or (folder / MANIFEST).exists()):
        raise StorageError(f"{folder} already holds a saved model. Pass overwrite=True to replace it, or another path.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        full = {"format": 1, "versions": versions(), "sha256": hashlib.sha256(payload).hexdigest(), **manifest}
        write_atomically(folder / MODEL, payload)
        write_atomically(folder / MANIFEST, json.dumps(full, indent=2, default=str).encode())
    except OSError as exc:
        raise StorageError(f"Could not write the model into {folder}: {exc.strerror or exc}.") from exc
    return folder


def load_object(path: str | Path) -> Any:
    """Read what :func:`save_object` wrote, after checking the pickle against the manifest's sha256.

    Loading unpickles, which runs code from the file: load only models you trust.
    """
    folder = Path(path)
    if not (folder / MODEL).exists() or not (folder / MANIFEST).exists():
        raise StorageError(f"{folder} holds no saved tsautoml model ({MODEL} and {MANIFEST} are needed).")
    manifest = _manifest(folder / MANIFEST)
    payload = (folder / MODEL).read_bytes()
    if hashlib.sha256(payload).hexdigest() != manifest["sha256"]:
        raise StorageError(
            f"{folder / MODEL} does not match the sha256 recorded in {MANIFEST}: it was changed or swapped "
            "after saving. Refusing to load it; save the model again from its source."
        )
    saved, current = manifest.get("versions", {}), versions()
    differ = {k: (saved[k], current.get(k)) for k in saved if saved[k] != current.get(k)}
    if differ:
        listed = ", ".join(f"{k} {a} -> {b}" for k, (a, b) in sorted(differ.items()))
        warnings.warn(
            f"The model in {folder} was saved with other versions ({listed}); predictions may differ. "
            "Install the saved versions to reproduce them exactly.",
            TsAutoMLWarning,
            stacklevel=3,
        )
    try:
        return pickle.loads(payload)
    except Exception as exc:
        listed = ", ".join(f"{k}=={v}" for k, v in sorted(saved.items()))
        raise StorageError(
            f"Could not load {folder / MODEL} ({type(exc).__name__}: {exc}). It was saved with {listed}; "
            "install those versions to load it."
        ) from exc


def _manifest(path: Path) -> dict[str, Any]:
    """The manifest, checked to be a JSON object with the pickle's sha256."""
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StorageError(f"{path} is not valid JSON ({exc}); the saved model is damaged. Save it again.") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("sha256"), str):
        raise StorageError(
            f"{path} is not a tsautoml manifest (a JSON object with the model's sha256); the saved model is "
            "damaged or was written by an older tsautoml. Save it again."
        )
    return manifest

