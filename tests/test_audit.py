"""`concept-sim audit` on a tiny project built by a real `dvc repro`: a clean chain and three kinds of drift."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from concept_sim.audit import audit_artifact
from concept_sim.config import settings_hash
from concept_sim.errors import ConfigError
from concept_sim.provenance import sha256_file, sha256_text
from tests.helpers import init_dvc_project, run_cli, run_command

RUN = "artifacts/toy/tiny/default"
RSA_TABLE = f"{RUN}/rsa/rsa.csv"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, tiny_model_dirs: dict) -> Path:
    root = init_dvc_project(tmp_path_factory.mktemp("audit") / "repo", tiny_model_dirs["llama"])
    run_command(root, "dvc", "repro")
    return root


@contextmanager
def restored(*paths: Path) -> Iterator[None]:
    """Put back the original bytes of each file after the block, so later tests see a clean project."""
    originals = {path: path.read_bytes() for path in paths}
    try:
        yield
    finally:
        for path, data in originals.items():
            path.write_bytes(data)


def drift_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("drift: ")]


def test_clean_project_passes(project: Path) -> None:
    result = run_cli(project, "audit", RSA_TABLE, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No drift" in result.stdout
    assert drift_lines(result.stderr) == []
    for link in ("similarity/cosines.csv", "store.h5", "prepared/words.txt", "prepared/report.json", "data/pairs.txt"):
        assert link in result.stdout, link


def test_clean_chain_checks_model_and_lock(project: Path) -> None:
    report = audit_artifact(project / RSA_TABLE)
    checks = [(node.role, check.status, check.message) for node in report.nodes for check in node.checks]

    assert report.ok
    assert report.unverified == []
    assert any(role == "model" and status == "ok" and "weights sha256" in message for role, status, message in checks)
    assert any(role == "store" and status == "ok" and "dvc.lock" in message for role, status, message in checks)
    assert any(role == "ratings file" and status == "ok" for role, status, _ in checks)


def test_folder_audit_passes(project: Path) -> None:
    result = run_cli(project, "audit", f"{RUN}/rsa", check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "rsa/heatmap.png" in result.stdout


def test_ratings_byte_edit_fails(project: Path) -> None:
    ratings = project / "data" / "pairs.txt"
    with restored(ratings):
        data = bytearray(ratings.read_bytes())
        data[0] = ord("P") if data[0] != ord("P") else ord("Q")
        ratings.write_bytes(bytes(data))
        result = run_cli(project, "audit", RSA_TABLE, check=False)

    assert result.returncode == 1
    problems = drift_lines(result.stderr)
    assert problems
    assert all(line.startswith("drift: data/pairs.txt: sha256 is") for line in problems), problems


def _build_other_store(project: Path, other: Path) -> Path:
    """Extract a store from a shorter word list with other templates, outside the project's artifacts."""
    prepared = other / "toy" / "prepared"
    prepared.mkdir(parents=True)
    words = (project / "artifacts/toy/prepared/words.txt").read_text(encoding="utf-8").split("\n")
    (prepared / "words.txt").write_text("\n".join(w for w in words[1:] if w) + "\n", encoding="utf-8")
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    params["methods"]["default"]["extract"]["templates"] = ["sentence"]
    other_params = other / "params.yaml"
    other_params.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    run_cli(project, "extract", "--dataset", "toy", "--model", "tiny", "--params", str(other_params), "--artifacts", str(other))
    return other / "toy" / "tiny" / "default" / "store.h5"


def test_swapped_store_fails(project: Path, tmp_path: Path) -> None:
    other_store = _build_other_store(project, tmp_path / "other")
    store = project / RUN / "store.h5"
    with restored(store):
        shutil.copyfile(other_store, store)
        result = run_cli(project, "audit", RSA_TABLE, check=False)

    assert result.returncode == 1
    store_problems = [line for line in drift_lines(result.stderr) if line.startswith(f"drift: {RUN}/store.h5:")]
    assert any("dvc.lock" in line for line in store_problems), store_problems
    assert any("cosines.csv.provenance.json" in line for line in store_problems), store_problems
    assert any("settings_hash" in line for line in store_problems), store_problems


def test_edited_rsa_table_fails(project: Path) -> None:
    table = project / RSA_TABLE
    with restored(table):
        table.write_bytes(table.read_bytes().replace(b",", b";", 1))
        result = run_cli(project, "audit", RSA_TABLE, check=False)

    assert result.returncode == 1
    problems = drift_lines(result.stderr)
    assert any(line.startswith(f"drift: {RSA_TABLE}: sha256") and "rsa.csv.provenance.json" in line for line in problems), problems
    assert any(line.startswith(f"drift: {RSA_TABLE}: md5") and "dvc.lock" in line for line in problems), problems


def test_missing_sidecar_reported(project: Path) -> None:
    sidecar = project / RUN / "similarity" / "hooks.csv.provenance.json"
    with restored(sidecar):
        sidecar.unlink()
        relaxed = run_cli(project, "audit", RSA_TABLE, check=False)
        strict = run_cli(project, "audit", "--strict", RSA_TABLE, check=False)

    assert relaxed.returncode == 0, relaxed.stderr
    assert "no hooks.csv.provenance.json" in relaxed.stdout
    assert "could not be verified" in relaxed.stdout
    assert strict.returncode == 1


def test_missing_artifact_rejected(project: Path) -> None:
    result = run_cli(project, "audit", f"{RUN}/rsa/absent.csv", check=False)

    assert result.returncode == 1
    assert "artifact not found" in result.stderr


def _write_store(path: Path, settings: dict) -> None:
    """Write the parts of an activation store that the audit reads: words and root attributes."""
    with h5py.File(path, "w") as handle:
        handle.create_dataset("words", data=np.array(settings["words"], dtype=object), dtype=h5py.string_dtype())
        handle.attrs["settings"] = json.dumps(settings, sort_keys=True)
        handle.attrs["settings_hash"] = settings_hash(settings)
        handle.attrs["complete"] = True


@pytest.mark.parametrize("matches", [True, False])
def test_embedded_weights_checked(tmp_path: Path, matches: bool) -> None:
    from concept_sim.models.embedded import gguf_path

    try:
        digest = sha256_file(gguf_path())
    except ConfigError as error:
        pytest.skip(f"the embedded model is not installed: {error}")
    words = ["oak", "pine"]
    settings = {
        "model_id": "embedded:smollm2-135m-instruct",
        "model_source": "embedded GGUF",
        "model_weights_sha256": digest if matches else "0" * 64,
        "words": words,
        "words_sha256": sha256_text("\n".join(words)),
        "inputs_sha256": {},
    }
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    store = tmp_path / "store.h5"
    _write_store(store, settings)

    report = audit_artifact(store)
    model_checks = [check for node in report.nodes if node.role == "model" for check in node.checks]

    assert [check.status for check in model_checks] == (["ok"] if matches else ["drift"])
    assert report.ok is matches
    assert any("no dvc.lock" in line for line in report.unverified)
    assert any("records no input hashes" in line for line in report.unverified)
