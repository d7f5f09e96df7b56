"""Input and output paths of each stage, relative to the project root, matching the layout in dvc.yaml."""

from __future__ import annotations

from pathlib import Path

ARTIFACTS = Path("artifacts")


def prepared_dir(dataset: str, root: Path = ARTIFACTS) -> Path:
    return root / dataset / "prepared"


def run_dir(dataset: str, model: str, method: str, root: Path = ARTIFACTS) -> Path:
    return root / dataset / model / method


def store_path(dataset: str, model: str, method: str, root: Path = ARTIFACTS) -> Path:
    return run_dir(dataset, model, method, root) / "store.h5"


def similarity_dir(dataset: str, model: str, method: str, root: Path = ARTIFACTS) -> Path:
    return run_dir(dataset, model, method, root) / "similarity"


def rsa_dir(dataset: str, model: str, method: str, root: Path = ARTIFACTS) -> Path:
    return run_dir(dataset, model, method, root) / "rsa"


def metrics_path(dataset: str, model: str, method: str, root: Path = ARTIFACTS) -> Path:
    return run_dir(dataset, model, method, root) / "metrics.json"
