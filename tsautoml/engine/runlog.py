"""The run directory: every finished job is written as it completes, so a killed run can resume.

Layout of ``run_dir``::

    run.json        settings and data fingerprint of the run
    trials.jsonl    one line per (group, trial) as its chunk finishes
    groups.jsonl    one line per group as its refit finishes: the chosen members and weights
    leaderboard.csv the trials ranked, rewritten after each rung
    jobs/<key>.pkl  each finished job's full result (scores, out-of-fold forecasts, fitted models)

A job's pickle is written (atomically) before its lines, so on resume a job is either
loaded whole or run again. A job run again (killed between its pickle and its lines, or
lost) appends its lines again: readers keep the last line per (group, trial). On resume, a
line cut off mid-write is removed and an unreadable job pickle is run again (both logged); a
write that fails (a full disk, a removed folder) raises a :class:`StorageError` naming the folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tsautoml.exceptions import ConfigError, StorageError
from tsautoml.io.files import write_atomically

__all__ = ["RunLog", "data_digest", "read_jsonl"]

logger = logging.getLogger(__name__)


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
            previous = _fingerprint(header)
            changed = sorted(k for k in {*previous, *fingerprint} if previous.get(k) != fingerprint.get(k))
            if changed:
                raise ConfigError(
                    f"run_dir {str(self.path)!r} holds a run with other settings or data ({changed} differ: "
                    f"{ {k: previous.get(k) for k in changed} } then, { {k: fingerprint.get(k) for k in changed} } now). "
                    "Resume with the same settings and data, or choose an empty directory."
                )
            for log in self.path.glob("*.jsonl"):
                _cut_broken_tail(log)
        with self._writing():
            self.jobs.mkdir(parents=True, exist_ok=True)
            if not header.exists():
                write_atomically(header, json.dumps({"fingerprint": fingerprint}, indent=1, default=str).encode())

    def load(self, key: str) -> Any | None:
        """The saved result of job ``key``, or None if it did not finish."""
        path = self.jobs / f"{key}.pkl"
        if not path.exists():
            return None
        try:
            return pickle.loads(path.read_bytes())
        except Exception as exc:  # cut off or damaged: the job runs again
            logger.warning("Job %s in %s could not be read (%s: %s); running it again.", key, self.jobs,
                           type(exc).__name__, exc)
            path.unlink(missing_ok=True)
            return None

    def save(self, key: str, result: Any, log: str, lines: list[dict[str, Any]]) -> None:
        """Store job ``key``'s ``result``, then append ``lines`` to ``<log>.jsonl``."""
        with self._writing():
            write_atomically(self.jobs / f"{key}.pkl", pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        self.append(log, lines)

    def append(self, log: str, lines: list[dict[str, Any]]) -> None:
        """Append ``lines`` to ``<log>.jsonl``."""
        with self._writing(), (self.path / f"{log}.jsonl").open("a") as fh:
            fh.writelines(json.dumps(line, default=_plain) + "\n" for line in lines)

    def write_frame(self, name: str, frame: pd.DataFrame) -> None:
        """Replace ``<name>.csv`` with ``frame``."""
        with self._writing():
            write_atomically(self.path / f"{name}.csv", frame.to_csv(index=False).encode())

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise StorageError(
                f"Could not write to the run directory {str(self.path)!r}: {exc.strerror or exc}. "
                "Free disk space or choose another run_dir; resume=True continues from what was written."
            ) from exc


def data_digest(*arrays: np.ndarray) -> str:
    """A short hash of ``arrays``' bytes: a resumed run must see the same data."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Every line of a JSON-lines log written by :class:`RunLog`; lines cut short by a kill are skipped."""
    records = []
    with Path(path).open() as fh:
        for line in fh:
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    return records


def _fingerprint(header: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(header.read_text())["fingerprint"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise StorageError(
            f"{header} is damaged ({type(exc).__name__}), so this run cannot be resumed safely. "
            "Choose an empty run_dir to start again."
        ) from exc


def _cut_broken_tail(log: Path) -> None:
    """Drop a last line that a kill cut off mid-write, so the next append starts on a line of its own."""
    data = log.read_bytes()
    if data and not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
        logger.warning("%s ended in a line cut off mid-write; removed it (%d bytes).", log, len(data) - keep)
        with log.open("r+b") as fh:
            fh.truncate(keep)


def _plain(value: Any) -> Any:
    """JSON form of numpy scalars and other plain values."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)
