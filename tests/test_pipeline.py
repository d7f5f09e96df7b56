"""The whole pipeline through a real `dvc repro` on a tiny random model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from concept_sim.store import partial_path
from tests.helpers import init_dvc_project, run_command, stages_run, subprocess_env

RUN = "artifacts/toy/tiny/default"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, tiny_model_dirs: dict) -> Path:
    root = init_dvc_project(tmp_path_factory.mktemp("pipeline") / "repo", tiny_model_dirs["llama"])
    run_command(root, "dvc", "repro")
    return root


def test_repro_writes_every_artifact(project: Path) -> None:
    for name in ("pairs.csv", "words.txt", "report.json", "pair_scores.json"):
        assert (project / "artifacts/toy/prepared" / name).exists(), name
    assert (project / RUN / "store.h5").exists()
    assert (project / RUN / "similarity/cosines.csv").exists()
    for name in ("rsa.csv", "hook_r.json", "rho_by_layer.csv", "rho_by_layer.png", "heatmap.png", "scatter.png", "report.md"):
        assert (project / RUN / "rsa" / name).exists(), name
    metrics = json.loads((project / RUN / "metrics.json").read_text())
    assert {"best_hook", "best_rho", "heldout_hook", "heldout_rho"} <= set(metrics)
    assert -1 <= metrics["best_rho"] <= 1


def test_rsa_table_sorted_by_rho(project: Path) -> None:
    table = pd.read_csv(project / RUN / "rsa/rsa.csv")
    assert table["spearman_rho"].is_monotonic_decreasing
    assert (table["n_pairs"] == 12).all()


def test_unicode_words_survive(project: Path) -> None:
    words = (project / "artifacts/toy/prepared/words.txt").read_text(encoding="utf-8").split("\n")
    assert {"café", "naïve", "and/or"} <= set(words)


def _set_param(root: Path, section: str, key: str, value: object) -> None:
    params = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))
    target = params
    for part in section.split("."):
        target = target[part]
    target[key] = value
    (root / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")


def test_rsa_param_reruns_only_rsa(project: Path) -> None:
    _set_param(project, "rsa", "seed", 1)
    output = run_command(project, "dvc", "repro").stdout
    assert stages_run(output) == ["rsa@toy-tiny-default", "compare"]


def test_template_change_reruns_from_extract(project: Path) -> None:
    _set_param(project, "methods.default.extract", "templates", ["sentence"])
    output = run_command(project, "dvc", "repro").stdout
    assert stages_run(output) == ["extract@toy-tiny-default", "similarity@toy-tiny-default", "rsa@toy-tiny-default", "compare"]


def test_kill_during_repro_resumes(tmp_path: Path, tiny_model_dirs: dict) -> None:
    words = [f"word{i}" for i in range(60)]
    lines = [f"{words[i]}#n {words[i + 1]}#n {i % 10}" for i in range(len(words) - 1)]
    root = init_dvc_project(tmp_path / "repo", tiny_model_dirs["llama"], lines=lines, extract_run__batch_size=1)
    env = {**subprocess_env(), "CONCEPT_SIM_LOG_LEVEL": "DEBUG"}
    process = subprocess.Popen(["dvc", "repro"], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    assert process.stdout is not None
    written = 0
    for line in process.stdout:
        written += "Wrote batch" in line
        if written == 4:
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.wait()
    store = root / RUN / "store.h5"

    assert written == 4
    assert partial_path(store).exists()
    assert not store.exists()

    rerun = run_command(root, "dvc", "repro")
    output = rerun.stdout + rerun.stderr
    assert "Resuming" in output
    assert "4 of 60 batches already done" in output or "5 of 60 batches already done" in output
    assert store.exists()
    assert (root / RUN / "metrics.json").exists()


def test_new_data_file_reruns_only_prepare(project: Path) -> None:
    (project / "data" / "unrelated.txt").write_text("oak#n pine#n 5.0\n", encoding="utf-8")
    output = run_command(project, "dvc", "repro").stdout
    # compare depends on the whole artifacts folder, whose prepare sidecars record the commit.
    assert stages_run(output) in (["prepare@toy"], ["prepare@toy", "compare"])
    assert (project / "artifacts/toy/prepared/raters.csv").read_text(encoding="utf-8").strip() == "word1,word2,rater,score"
