"""The run directory: every finished job is written as it completes, so a killed run can resume.

Layout of ``run_dir``::

    run.json        settings and data fingerprint of the run
    trials.jsonl    one line per (group, trial) as its chunk finishes
    groups.jsonl    one line per group as its refit finishes: the chosen members and weights
    leaderboard.csv the trials ranked, rewritten after each rung
    jobs/<key>.pkl  each finished job's full result (scores, out-of-fold forecasts, fitted models)

A job's pickle is written (atomically) before its lines, so on resume a job is either
loaded whole or run again. A job run again (killed between its pickle and its lines, or
lost) appends its lines again: readers keep the last line per (group, trial).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tsautoml.exceptions import ConfigError

__all__ = ["RunLog", "data_digest", "read_jsonl"]


class RunLog:
    """Appends a run's results to ``run_dir``; with ``resume`` it first checks the run is the same.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> log = RunLog(folder, {"horizon": 3}, resume=False)
    >>> log.save("r0-c0", [1, 2], "trials", [{"group": "a", "score": 0.5}])
    >>> RunLog(folder, {"horizon": 3}, resume=True).load("r0-c0")
    [1, 2]
    >>> read_jsonl(Path(folder) / "trials.jsonl")
    [{'group': 'a', 'score': 0.5}]
    """

    def __init__(self, run_dir: str | Path, fingerprint: dict[str, Any], resume: bool) -> None:
        self.path = Path(run_dir)
        self.jobs = self.path / "jobs"
        header = self.path / "run.json"
        if header.exists():
            if not resume:
                raise ConfigError(
                    f"run_dir {str(self.path)!r} already holds a run; pass resume=True to continue it, "
                    "or choose an empty directory."
                )
            previous = json.loads(header.read_text())["fingerprint"]
            changed = sorted(k for k in {*previous, *fingerprint} if previous.get(k) != fingerprint.get(k))
            if changed:
                raise ConfigError(
                    f"run_dir {str(self.path)!r} holds a run with other settings or data ({changed} differ: "
                    f"{ {k: previous.get(k) for k in changed} } then, { {k: fingerprint.get(k) for k in changed} } now). "
                    "Resume with the same settings and data, or choose an empty directory."
                )
        self.jobs.mkdir(parents=True, exist_ok=True)
        if not header.exists():
            _write_atomic(header, json.dumps({"fingerprint": fingerprint}, indent=1, default=str).encode())

    def load(self, key: str) -> Any | None:
        """The saved result of job ``key``, or None if it did not finish."""
        path = self.jobs / f"{key}.pkl"
        if not path.exists():
            return None
        with path.open("rb") as fh:
            return pickle.load(fh)

    def save(self, key: str, result: Any, log: str, lines: list[dict[str, Any]]) -> None:
        """Store job ``key``'s ``result``, then append ``lines`` to ``<log>.jsonl``."""
        _write_atomic(self.jobs / f"{key}.pkl", pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        self.append(log, lines)

    def append(self, log: str, lines: list[dict[str, Any]]) -> None:
        """Append ``lines`` to ``<log>.jsonl``."""
        with (self.path / f"{log}.jsonl").open("a") as fh:
            fh.writelines(json.dumps(line, default=_plain) + "\n" for line in lines)

    def write_frame(self, name: str, frame: pd.DataFrame) -> None:
        """Replace ``<name>.csv`` with ``frame``."""
        tmp = self.path / f".{name}.csv.tmp"
        frame.to_csv(tmp, index=False)
        os.replace(tmp, self.path / f"{name}.csv")


def data_digest(*arrays: np.ndarray) -> str:
    """A short hash of ``arrays``' bytes: a resumed run must see the same data."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Every line of a JSON-lines log written by :class:`RunLog` (a last line cut short by a kill is skipped)."""
    with Path(path).open() as fh:
        lines = [line for line in fh if line.strip()]
    records = [json.loads(line) for line in lines[:-1]]
    try:
        records += [json.loads(line) for line in lines[-1:]]
    except json.JSONDecodeError:
        pass
    return records


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _plain(value: Any) -> Any:
    """JSON form of numpy scalars and other plain values."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)
