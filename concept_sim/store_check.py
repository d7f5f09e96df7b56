"""Inspection and validation of activation stores, complete or not, for `concept-sim store`."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from concept_sim.errors import StoreError


def _open(path: Path) -> h5py.File:
    if not path.exists():
        raise StoreError(f"{path}: file not found")
    try:
        return h5py.File(path, "r")
    except OSError as error:
        raise StoreError(f"{path}: not a readable HDF5 file ({error})") from error


def describe_store(path: Path) -> str:
    """Return a readable summary: words, hooks, shapes, batches done, settings and size."""
    with _open(path) as handle:
        done = handle["batches/done"][:] if "batches/done" in handle else np.array([])
        hooks = list(handle["hooks"].keys()) if "hooks" in handle else []
        first = handle["hooks"][hooks[0]] if hooks else None
        settings = json.loads(handle.attrs.get("settings", "{}"))
        lines = [
            f"store: {path}",
            f"size: {path.stat().st_size / 1e6:.1f} MB",
            f"complete: {bool(handle.attrs.get('complete', False))}",
            f"batches done: {int(done.sum())} of {done.size}",
            f"words: {handle['words'].shape[0] if 'words' in handle else 0}",
            f"hooks: {len(hooks)}" + (f", each {first.shape} {first.dtype}" if first is not None else ""),
            f"storage dtype: {handle.attrs.get('storage_dtype', '?')}",
            f"aliases: {len(json.loads(handle.attrs.get('aliases', '{}')))}",
            "settings:",
        ]
        lines += [f"  {key}: {json.dumps(value, default=str)}" for key, value in sorted(settings.items())]
    return "\n".join(lines)


def validate_store(path: Path) -> list[str]:
    """Return every problem found: missing parts, an absent completion mark, NaN or inf values."""
    problems: list[str] = []
    with _open(path) as handle:
        for name in ("words", "hooks", "tokens", "spans", "batches/done"):
            if name not in handle:
                problems.append(f"{path}: dataset /{name} is missing")
        if problems:
            return problems
        if not bool(handle.attrs.get("complete", False)):
            problems.append(f"{path}: no completion mark; the run that wrote it did not finish")
        missing = np.flatnonzero(handle["batches/done"][:] == 0)
        if missing.size:
            problems.append(f"{path}: {missing.size} batches not written, first {missing[:5].tolist()}")
        n_words = handle["words"].shape[0]
        for hook, dataset in handle["hooks"].items():
            if dataset.shape[0] != n_words:
                problems.append(f"{path}: hook {hook} has {dataset.shape[0]} rows for {n_words} words")
                continue
            values = dataset[:]
            if values.dtype.kind == "f" and not np.isfinite(values).all():
                bad = int((~np.isfinite(values)).any(axis=1).sum())
                problems.append(f"{path}: hook {hook} has NaN or inf in {bad} rows")
    return problems
