"""DVC experiments on the tiny project: `dvc exp run -S`, the task queue, `dvc exp show` and `dvc metrics`."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
import yaml

from tests.helpers import init_dvc_project, run_and_commit_pipeline, run_command, stages_run

RUN = "artifacts/toy/tiny/default"
METRICS = f"{RUN}/metrics.json"
QUEUE_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, tiny_model_dirs: dict) -> Path:
    """The tiny pipeline run once and committed: experiments start from a git commit."""
    root = init_dvc_project(tmp_path_factory.mktemp("experiments") / "repo", tiny_model_dirs["llama"])
    return run_and_commit_pipeline(root, "baseline results")


def _experiment_rows(root: Path) -> dict[str, dict[str, str]]:
    """Read `dvc exp show --csv` into {experiment name: row}."""
    shown = run_command(root, "dvc", "exp", "show", "--csv").stdout
    rows = csv.DictReader(io.StringIO(shown))
    return {row["Experiment"]: row for row in rows if row["Experiment"]}


def _wait_for_queue(root: Path, timeout: float) -> str:
    """Poll `dvc queue status` until no task is queued or running; return the last status."""
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = run_command(root, "dvc", "queue", "status").stdout
        task_lines = [line for line in status.splitlines() if line and not line.startswith(("Task", "Worker"))]
        if not any(" Queued" in line or " Running" in line for line in task_lines):
            return status
        time.sleep(3)
    raise AssertionError(f"dvc queue did not finish within {timeout} s:\n{status}")


def test_exp_run_set_param(project: Path) -> None:
    result = run_command(project, "dvc", "exp", "run", "-S", "rsa.seed=3", "-n", "seed3")

    stages = stages_run(result.stdout)
    assert "rsa@toy-tiny-default" in stages, result.stdout
    assert not [stage for stage in stages if stage.startswith(("prepare", "extract", "similarity"))], result.stdout
    rows = _experiment_rows(project)
    assert "seed3" in rows, rows.keys()
    assert rows["seed3"]["rsa.seed"] == "3"
    assert -1 <= float(rows["seed3"]["best_rho"]) <= 1

    metrics = run_command(project, "dvc", "metrics", "show", "--json").stdout
    recorded = json.loads(metrics)
    assert "best_rho" in json.dumps(recorded)
    assert METRICS in json.dumps(recorded)


@pytest.mark.slow
def test_queued_experiments_run(project: Path) -> None:
    for seed in (4, 5):
        queued = run_command(project, "dvc", "exp", "run", "--queue", "-S", f"rsa.seed={seed}", "-n", f"queued-seed{seed}")
        assert "Queued experiment" in queued.stdout, queued.stdout
    run_command(project, "dvc", "queue", "start", "-j", "1")
    try:
        status = _wait_for_queue(project, QUEUE_TIMEOUT_S)
    finally:
        run_command(project, "dvc", "queue", "stop", check=False)

    assert "Failed" not in status, status
    rows = _experiment_rows(project)
    for seed in (4, 5):
        name = f"queued-seed{seed}"
        assert name in rows, f"{name} missing from dvc exp show: {sorted(rows)}\n{status}"
        assert rows[name]["rsa.seed"] == str(seed)
        assert rows[name]["best_hook"], rows[name]


def test_metrics_diff_after_param_change(project: Path) -> None:
    params_path = project / "params.yaml"
    params = yaml.safe_load(params_path.read_text(encoding="utf-8"))
    params["rsa"]["seed"] = 7
    params_path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    run_command(project, "dvc", "repro")

    changed = json.loads(run_command(project, "dvc", "metrics", "diff", "--json").stdout)
    every = run_command(project, "dvc", "metrics", "diff", "--all").stdout
    params_diff = run_command(project, "dvc", "params", "diff").stdout

    assert changed.get(METRICS), f"a new bootstrap seed changed no metric: {changed}"
    assert "best_rho" in every
    assert "rsa.seed" in params_diff
