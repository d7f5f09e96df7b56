"""Builders for test projects: a params file, a ratings file and CLI runs in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "concept_sim.cli"]

RATINGS_LINES = [
    "pine#n redwood#n 4.0",
    "pine#n oak#n 3.5",
    "oak#n maple#n 4.9",
    "maple#n birch#n 5.1",
    "birch#n willow#n 5.5",
    "café#n naïve#a 1.0",
    "and/or#c oak#n 0.5",
    "willow#n pine#n 2.8",
    "redwood#n maple#n 3.3",
    "antidisestablishmentarianism#n oak#n 0.2",
    "tiger#n cat#n 7.4",
    "cat#n birch#n 0.8",
]


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "DVC_NO_ANALYTICS": "1", "PYTHONUNBUFFERED": "1"})
    return env


def write_project(root: Path, model_dir: Path, lines: list[str] | None = None, **overrides: Any) -> Path:
    """Write params.yaml and a ratings file for a one-dataset, one-model, one-method project."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "pairs.txt").write_text("\n".join(lines or RATINGS_LINES) + "\n", encoding="utf-8")
    params: dict[str, Any] = {
        "run": {"datasets": ["toy"], "models": ["tiny"], "methods": ["default"]},
        "datasets": {"toy": {"source": "data/pairs.txt", "format": "notebook_pos"}},
        "prepare": {"duplicates": "mean", "case": "keep", "decimal_comma": False},
        "models": {"tiny": {"id": str(model_dir), "revision": None, "dtype": "float32"}},
        "methods": {
            "default": {
                "extract": {"templates": ["word_quoted", "definition"], "pooling": "mean", "bos": "auto"},
                "similarity": {"method": "zscore"},
            }
        },
        "extract_run": {"batch_size": 4, "storage_dtype": "float32", "device": "cpu"},
        "rsa": {"bootstrap": 50, "permutations": 50, "seed": 0, "confidence": 0.95, "degenerate_median_cos": 0.9, "top_n": 5},
    }
    for dotted, value in overrides.items():
        section, key = dotted.split("__", 1)
        params[section][key] = value
    (root / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    return root


def run_cli(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*CLI, *args], cwd=root, env=subprocess_env(), capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"concept-sim {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return result


def copy_pipeline(root: Path) -> None:
    """Copy the project's dvc.yaml into a test project."""
    shutil.copy(REPO_ROOT / "dvc.yaml", root / "dvc.yaml")


def run_command(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command such as git or dvc in `root` with the test environment."""
    result = subprocess.run(list(args), cwd=root, env=subprocess_env(), capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed in {root}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def init_dvc_project(root: Path, model_dir: Path, **overrides: Any) -> Path:
    """Write a one-dataset project with the real dvc.yaml inside a fresh git + DVC repository."""
    write_project(root, model_dir, **overrides)
    copy_pipeline(root)
    (root / ".gitignore").write_text("*.partial\n", encoding="utf-8")
    run_command(root, "git", "init", "-q")
    run_command(root, "git", "config", "user.email", "tests@example.invalid")
    run_command(root, "git", "config", "user.name", "concept-sim tests")
    run_command(root, "dvc", "init", "-q")
    run_command(root, "dvc", "config", "core.analytics", "false")
    run_command(root, "git", "add", "-A")
    run_command(root, "git", "commit", "-qm", "test project")
    return root


def stages_run(output: str) -> list[str]:
    """Return the names of the stages that a `dvc repro` or `dvc exp run` output says it ran."""
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")]


def run_and_commit_pipeline(root: Path, message: str) -> Path:
    """Run `dvc repro` in a test project and commit its results, as a user would before sharing."""
    run_command(root, "dvc", "repro")
    run_command(root, "git", "add", "-A")
    run_command(root, "git", "commit", "-qm", message)
    return root
