"""Hashes, library versions and the provenance sidecars written beside every artifact."""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".provenance.json"
TRACKED_LIBRARIES = (
    "concept-sim",
    "torch",
    "transformers",
    "transformer-lens",
    "numpy",
    "scipy",
    "pandas",
    "h5py",
    "gguf",
)


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def library_versions() -> dict[str, str]:
    """Return the installed version of each library that can change a number."""
    versions: dict[str, str] = {}
    for name in TRACKED_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit(cwd: str | Path | None = None) -> str | None:
    """Return the current git commit, with `+dirty` when tracked files changed, or None outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{commit}+dirty" if status else commit


def sidecar_path(artifact: str | Path) -> Path:
    artifact = Path(artifact)
    return artifact.with_name(artifact.name + SIDECAR_SUFFIX)


def describe_inputs(inputs: list[str | Path]) -> dict[str, str]:
    """Map each input path to its SHA-256; a directory maps each file inside it."""
    hashes: dict[str, str] = {}
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                hashes[str(child)] = sha256_file(child)
        else:
            hashes[str(path)] = sha256_file(path)
    return hashes


def build_record(
    stage: str,
    inputs: list[str | Path],
    params: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the provenance record of one artifact: inputs with hashes, stage params, versions, commit.

    The record contains no timestamp, so rerunning a stage on the same inputs rewrites identical files
    and DVC sees nothing changed downstream.
    """
    return {
        "stage": stage,
        "inputs": describe_inputs(inputs),
        "params": params,
        "libraries": library_versions(),
        "git_commit": git_commit(),
        **(extra or {}),
    }


def write_sidecar(artifact: str | Path, record: dict[str, Any]) -> Path:
    """Write `<artifact>.provenance.json` holding the record and the artifact's own hash."""
    artifact = Path(artifact)
    full = {"artifact": str(artifact), "artifact_sha256": sha256_file(artifact), **record}
    path = sidecar_path(artifact)
    path.write_text(json.dumps(full, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return path
