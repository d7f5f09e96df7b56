"""Share a finished pipeline through a DVC remote: push from one clone, pull into another, rebuild nothing.

The second test talks to a real OpenSSH server (Debian package openssh-server) that it starts on a
loopback port with throwaway keys, reached through dvc-ssh.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import init_dvc_project, run_and_commit_pipeline, run_cli, run_command, stages_run

RUN = "artifacts/toy/tiny/default"
SSHD_CANDIDATES = ("/usr/sbin/sshd", "/usr/local/sbin/sshd")
# sshd exits at start as root when this directory is missing; Debian's ssh.service creates it at boot.
PRIVSEP_DIR = Path("/run/sshd")


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory, tiny_model_dirs: dict) -> Path:
    """Repository A: the tiny pipeline run once and committed, as on the machine that ran extract."""
    root = init_dvc_project(tmp_path_factory.mktemp("remote") / "origin", tiny_model_dirs["llama"])
    return run_and_commit_pipeline(root, "pipeline results")


def _artifact_files(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted((root / "artifacts").rglob("*")) if path.is_file()}


def _publish(origin: Path, name: str, url: str, local_options: dict[str, str]) -> None:
    """Add a default remote to A, commit its address, and push A's cache to it."""
    run_command(origin, "dvc", "remote", "add", "-d", name, url)
    for option, value in local_options.items():
        run_command(origin, "dvc", "remote", "modify", "--local", name, option, value)
    run_command(origin, "git", "add", ".dvc/config")
    run_command(origin, "git", "commit", "-qm", f"store results on remote {name}")
    pushed = run_command(origin, "dvc", "push")
    assert "pushed" in pushed.stdout, pushed.stdout


def _clone_and_pull(origin: Path, clone: Path, name: str, local_options: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Clone A with git into `clone`, pull the outputs from the remote and run `dvc repro` there."""
    run_command(origin.parent, "git", "clone", "-q", str(origin), str(clone))
    for option, value in local_options.items():
        run_command(clone, "dvc", "remote", "modify", "--local", name, option, value)
    run_command(clone, "dvc", "pull")
    return run_command(clone, "dvc", "repro")


def _assert_same_results(origin: Path, clone: Path, repro: subprocess.CompletedProcess[str]) -> None:
    assert "Running stage 'extract" not in repro.stdout, repro.stdout
    assert stages_run(repro.stdout) == [], repro.stdout
    for name in ("rsa.csv", "rho_by_layer.csv", "scatter.csv", "hook_r.json"):
        assert (clone / RUN / "rsa" / name).read_bytes() == (origin / RUN / "rsa" / name).read_bytes(), name
    assert (clone / RUN / "metrics.json").read_bytes() == (origin / RUN / "metrics.json").read_bytes()
    assert _artifact_files(clone) == _artifact_files(origin)


def test_local_remote_round_trip(origin: Path, tmp_path: Path) -> None:
    _publish(origin, "shared_folder", str(tmp_path / "dvc-remote"), {})
    clone = tmp_path / "clone"
    repro = _clone_and_pull(origin, clone, "shared_folder", {})

    _assert_same_results(origin, clone, repro)
    audit = run_cli(clone, "audit", f"{RUN}/rsa/rsa.csv", check=False)
    assert audit.returncode == 0, audit.stdout + audit.stderr


@dataclass(frozen=True)
class SshServer:
    """A throwaway sshd on 127.0.0.1 that accepts one user key."""

    port: int
    user: str
    key: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _sshd_binary() -> str | None:
    found = shutil.which("sshd")
    if found:
        return found
    return next((candidate for candidate in SSHD_CANDIDATES if Path(candidate).is_file()), None)


def _write_sshd_config(folder: Path, port: int, host_key: Path, authorized_keys: Path) -> Path:
    config = folder / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {host_key}",
                f"PidFile {folder / 'sshd.pid'}",
                f"AuthorizedKeysFile {authorized_keys}",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                "PermitRootLogin prohibit-password",
                "Subsystem sftp internal-sftp",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return config


def _wait_for_port(port: int, server: subprocess.Popen[bytes], log: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"sshd exited with status {server.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"sshd did not listen on 127.0.0.1:{port} within {timeout} s:\n{log.read_text(errors='replace')}")


@pytest.fixture
def ssh_server(tmp_path: Path) -> Iterator[SshServer]:
    sshd = _sshd_binary()
    if sshd is None:
        pytest.skip("sshd not found: install the Debian package openssh-server to run the SSH remote test")
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen not found: install the Debian package openssh-client to run the SSH remote test")
    if not PRIVSEP_DIR.is_dir():
        if os.geteuid() != 0:
            pytest.skip(f"{PRIVSEP_DIR} is missing and only root can create it; run `mkdir -p {PRIVSEP_DIR}` as root")
        PRIVSEP_DIR.mkdir(mode=0o755, parents=True)

    folder = tmp_path / "sshd"
    folder.mkdir()
    host_key, user_key = folder / "host_ed25519", folder / "user_ed25519"
    for key in (host_key, user_key):
        run_command(folder, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key))
    authorized_keys = folder / "authorized_keys"
    shutil.copyfile(user_key.with_name(user_key.name + ".pub"), authorized_keys)

    port = _free_port()
    config = _write_sshd_config(folder, port, host_key, authorized_keys)
    log = folder / "sshd.log"
    with open(log, "wb") as log_handle:
        server = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stdout=log_handle, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, server, log)
        yield SshServer(port=port, user=getpass.getuser(), key=user_key)
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.slow
def test_ssh_remote_round_trip(origin: Path, ssh_server: SshServer, tmp_path: Path) -> None:
    remote_dir = tmp_path / "ssh-remote"
    url = f"ssh://127.0.0.1:{ssh_server.port}{remote_dir}"
    credentials = {"user": ssh_server.user, "keyfile": str(ssh_server.key)}
    _publish(origin, "ssh_store", url, credentials)
    assert any(remote_dir.rglob("*.dir")), f"dvc push wrote no folder manifest under {remote_dir}"

    clone = tmp_path / "clone"
    repro = _clone_and_pull(origin, clone, "ssh_store", credentials)

    _assert_same_results(origin, clone, repro)
