"""The HDF5 activation store: one pooled vector per word per hook, written batch by batch.

Layout:
- `/words`: variable-length UTF-8 strings; the row order defines word ids.
- `/hooks/<hook name>`: `[n_words, d_model]` arrays in the storage dtype, chunked by batch.
- `/tokens`: token ids of each word's templated input, `[n_words, n_templates]`, variable length.
- `/spans`: `[n_words, n_templates, 2]`, the word's token positions `[start, end)` in that input.
- `/batches/done`: one flag per batch; `/batches/offsets`: the first row of each batch plus the end.
- root attributes: `settings` (JSON of every setting behind the vectors), `settings_hash`,
  `aliases` (JSON: hook name -> stored hook with identical vectors) and `complete`.

A run writes `<store>.partial` and renames it to `<store>` only when every batch is done, so a
file at the final path is always complete. A killed run leaves the partial file, and the next
run with the same settings resumes from its finished batches.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from concept_sim.errors import StoreError

logger = logging.getLogger(__name__)

STRING_DTYPE = h5py.string_dtype(encoding="utf-8")
TOKEN_DTYPE = h5py.vlen_dtype(np.dtype("int64"))
STORAGE_DTYPES = {"float32": np.dtype("float32"), "float16": np.dtype("float16")}
# HDF5 has no bfloat16: bfloat16 storage keeps the top 16 bits of each float32 in a uint16 array.
BFLOAT16_VIEW = np.dtype("uint16")


def partial_path(path: Path) -> Path:
    return path.with_name(path.name + ".partial")


def encode_storage(values: np.ndarray, storage_dtype: str) -> np.ndarray:
    """Convert float32 vectors to the array written for `storage_dtype`."""
    values = np.ascontiguousarray(values, dtype=np.float32)
    if storage_dtype == "bfloat16":
        bits = values.view(np.uint32)
        rounded = bits + 0x7FFF + ((bits >> 16) & 1)  # round to nearest even
        return (rounded >> 16).astype(np.uint16)
    return values.astype(STORAGE_DTYPES[storage_dtype])


def decode_storage(values: np.ndarray, storage_dtype: str) -> np.ndarray:
    """Convert stored vectors back to float64."""
    if storage_dtype == "bfloat16":
        return (values.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    return values.astype(np.float64)


@dataclass(frozen=True)
class StoreLayout:
    """Layout of a new store: its words in row order, hooks, batch plan and settings."""

    words: list[str]
    hooks: list[str]
    d_model: int
    n_templates: int
    batch_offsets: list[int]
    settings: dict[str, Any]
    settings_hash: str
    aliases: dict[str, str]
    storage_dtype: str


class StoreWriter:
    """Writes a store batch by batch into `<path>.partial`, resuming one left by a killed run."""

    def __init__(self, path: Path, layout: StoreLayout) -> None:
        self.path = Path(path)
        self.partial = partial_path(self.path)
        self.layout = layout
        self.file = self._open()

    def _open(self) -> h5py.File:
        if self.partial.exists():
            reason = self._resume_mismatch()
            if reason is None:
                handle = h5py.File(self.partial, "r+")
                done = int(handle["batches/done"][:].sum())
                logger.info("Resuming %s: %d of %d batches already done", self.partial, done, self.n_batches)
                return handle
            logger.warning("Starting %s over: %s", self.path, reason)
            self.partial.unlink()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            self.path.unlink()
        return self._create()

    def _resume_mismatch(self) -> str | None:
        """Return why the partial file cannot be resumed, or None when it can."""
        try:
            with h5py.File(self.partial, "r") as handle:
                stored_hash = handle.attrs.get("settings_hash")
                if stored_hash != self.layout.settings_hash:
                    return "its settings or input hashes differ from this run's"
                if "batches/done" not in handle:
                    return "it has no batch record"
        except OSError as error:
            return f"the partial file is unreadable ({error})"
        return None

    @property
    def n_batches(self) -> int:
        return len(self.layout.batch_offsets) - 1

    def _create(self) -> h5py.File:
        layout = self.layout
        n_words = len(layout.words)
        handle = h5py.File(self.partial, "w")
        handle.create_dataset("words", data=np.array(layout.words, dtype=object), dtype=STRING_DTYPE)
        chunk_rows = max(1, min(n_words, max(np.diff(layout.batch_offsets))))
        array_dtype = BFLOAT16_VIEW if layout.storage_dtype == "bfloat16" else STORAGE_DTYPES[layout.storage_dtype]
        hooks = handle.create_group("hooks")
        for hook in layout.hooks:
            hooks.create_dataset(hook, shape=(n_words, layout.d_model), dtype=array_dtype, chunks=(chunk_rows, layout.d_model))
        handle.create_dataset("tokens", shape=(n_words, layout.n_templates), dtype=TOKEN_DTYPE)
        handle.create_dataset("spans", shape=(n_words, layout.n_templates, 2), dtype="int64")
        handle.create_dataset("batches/done", data=np.zeros(self.n_batches, dtype=np.uint8))
        handle.create_dataset("batches/offsets", data=np.array(layout.batch_offsets, dtype=np.int64))
        handle.attrs["settings"] = json.dumps(layout.settings, sort_keys=True, default=str)
        handle.attrs["settings_hash"] = layout.settings_hash
        handle.attrs["aliases"] = json.dumps(layout.aliases, sort_keys=True)
        handle.attrs["storage_dtype"] = layout.storage_dtype
        handle.attrs["complete"] = False
        handle.flush()
        return handle

    def pending_batches(self) -> list[int]:
        done = self.file["batches/done"][:]
        return [int(i) for i in np.flatnonzero(done == 0)]

    def write_batch(
        self,
        batch: int,
        vectors: dict[str, np.ndarray],
        tokens: list[list[list[int]]],
        spans: np.ndarray,
    ) -> None:
        """Write one batch's rows, flush, then mark the batch done, so a kill never marks missing rows."""
        start, end = self.layout.batch_offsets[batch], self.layout.batch_offsets[batch + 1]
        for hook, values in vectors.items():
            self.file["hooks"][hook][start:end] = encode_storage(values, self.layout.storage_dtype)
        token_rows = self.file["tokens"]
        for row, per_template in enumerate(tokens):
            for template_index, ids in enumerate(per_template):
                token_rows[start + row, template_index] = np.asarray(ids, dtype=np.int64)
        self.file["spans"][start:end] = spans
        self.file.flush()
        self.file["batches/done"][batch] = 1
        self.file.flush()

    def finish(self, extra_attrs: dict[str, Any]) -> Path:
        """Mark the store complete and move it to its final path."""
        pending = self.pending_batches()
        if pending:
            raise StoreError(f"{self.partial}: batches {pending[:10]} are not written; rerun extract to finish them")
        for key, value in extra_attrs.items():
            self.file.attrs[key] = value if isinstance(value, (str, int, float, bool)) else json.dumps(value, default=str)
        self.file.attrs["complete"] = True
        self.file.flush()
        self.file.close()
        os.replace(self.partial, self.path)
        logger.info("Wrote %s", self.path)
        return self.path

    def close(self) -> None:
        if self.file.id.valid:
            self.file.close()


class Store:
    """Read access to a complete store."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            partial = partial_path(self.path)
            hint = f"; {partial} is an unfinished run, rerun extract to resume it" if partial.exists() else "; run extract first"
            raise StoreError(f"{self.path}: activation store not found{hint}")
        try:
            self.file = h5py.File(self.path, "r")
        except OSError as error:
            raise StoreError(f"{self.path}: not a readable HDF5 file ({error}); rerun extract") from error
        self._check_complete()

    def _check_complete(self) -> None:
        if not bool(self.file.attrs.get("complete", False)):
            raise StoreError(f"{self.path}: store is incomplete (no completion mark); rerun extract")
        missing = np.flatnonzero(self.file["batches/done"][:] == 0)
        if missing.size:
            raise StoreError(f"{self.path}: batches {missing[:10].tolist()} are missing; rerun extract")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()

    @property
    def words(self) -> list[str]:
        return [w.decode("utf-8") if isinstance(w, bytes) else str(w) for w in self.file["words"][:]]

    @property
    def hooks(self) -> list[str]:
        return list(self.file["hooks"].keys())

    @property
    def settings(self) -> dict[str, Any]:
        return json.loads(self.file.attrs["settings"])

    @property
    def aliases(self) -> dict[str, str]:
        return json.loads(self.file.attrs.get("aliases", "{}"))

    @property
    def attrs(self) -> dict[str, Any]:
        return {key: _plain(value) for key, value in self.file.attrs.items()}

    def vectors(self, hook: str) -> np.ndarray:
        """Return a hook's vectors as float64, `[n_words, d_model]`."""
        if hook not in self.file["hooks"]:
            raise StoreError(f"{self.path}: hook {hook!r} not in store; stored hooks: {self.hooks[:5]}...")
        return decode_storage(self.file["hooks"][hook][:], str(self.file.attrs["storage_dtype"]))


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value
