"""Trace an artifact back to its ratings file and model, and recheck every recorded hash.

The chain follows three kinds of record:
- provenance sidecars (`<file>.provenance.json`): the file's own SHA-256 and its inputs' SHA-256;
- an activation store's root attributes: the word list's SHA-256 (`inputs_sha256`), the SHA-256
  of its stored words, the settings hash and the model identity with its weights hash;
- prepared/report.json: the path and SHA-256 of the ratings file and of any rater files.
When the project has a dvc.lock, every file inside a stage output is also checked against the
MD5 that DVC recorded, which catches a store or table pulled from a remote that does not match.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import yaml

from concept_sim.config import settings_hash
from concept_sim.errors import ConceptSimError, ConfigError
from concept_sim.provenance import SIDECAR_SUFFIX, sha256_text, sidecar_path

logger = logging.getLogger(__name__)

OK = "ok"
DRIFT = "drift"
MISSING = "missing"
UNVERIFIED = "unverified"
PROBLEM_STATUSES = (DRIFT, MISSING)
# A project root contains one of these; sidecars record paths relative to it.
ROOT_MARKERS = ("dvc.yaml", ".dvc", "params.yaml")


@dataclass
class Check:
    """One comparison of a recorded value with the file on disk."""

    status: str
    message: str


@dataclass
class ChainNode:
    """One file or model in the chain, with the checks made on it and facts read from it."""

    path: str
    role: str
    depth: int
    checks: list[Check] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)


@dataclass
class AuditReport:
    """The chain from an artifact back to its sources, in the order it was traced."""

    artifact: Path
    root: Path
    nodes: list[ChainNode]

    def _lines(self, statuses: tuple[str, ...]) -> list[str]:
        return [f"{node.path}: {check.message}" for node in self.nodes for check in node.checks if check.status in statuses]

    @property
    def problems(self) -> list[str]:
        """Drifted or missing files, each as `path: what differs`."""
        return self._lines(PROBLEM_STATUSES)

    @property
    def unverified(self) -> list[str]:
        """Files and models whose hash is recorded nowhere or cannot be recomputed here."""
        return self._lines((UNVERIFIED,))

    @property
    def ok(self) -> bool:
        return not self.problems


class _Digests:
    """MD5 and SHA-256 of files, computed in one pass and cached for the audit's lifetime."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[str, str]] = {}

    def both(self, path: Path) -> tuple[str, str]:
        key = path.resolve()
        if key not in self._cache:
            md5, sha256 = hashlib.md5(), hashlib.sha256()
            with open(key, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    md5.update(chunk)
                    sha256.update(chunk)
            self._cache[key] = (md5.hexdigest(), sha256.hexdigest())
        return self._cache[key]

    def md5(self, path: Path) -> str:
        return self.both(path)[0]

    def sha256(self, path: Path) -> str:
        return self.both(path)[1]


@dataclass(frozen=True)
class LockedOutput:
    """A stage output recorded in dvc.lock."""

    stage: str
    path: str
    md5: str

    @property
    def is_dir(self) -> bool:
        return self.md5.endswith(".dir")


class DvcLock:
    """The outputs recorded in a project's dvc.lock and the directory manifests in its cache."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / "dvc.lock"
        self.outputs: list[LockedOutput] = []
        if self.path.is_file():
            self.outputs = self._read_outputs()

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    def _read_outputs(self) -> list[LockedOutput]:
        try:
            lock = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise ConceptSimError(f"{self.path}: invalid YAML ({error}); restore it with `git checkout dvc.lock`") from error
        outputs = []
        for stage, entry in (lock.get("stages") or {}).items():
            for out in entry.get("outs") or []:
                if out.get("md5"):
                    outputs.append(LockedOutput(stage, str(out["path"]).rstrip("/"), str(out["md5"])))
        return outputs

    def find(self, relative: str) -> LockedOutput | None:
        """Return the output that is `relative` or a folder containing it."""
        for out in self.outputs:
            if relative == out.path or relative.startswith(out.path + "/"):
                return out
        return None

    def manifest(self, out: LockedOutput) -> dict[str, str] | None:
        """Map each file of a folder output to its MD5, from the `.dir` object in the local cache."""
        digest = out.md5
        candidate = self._cache_dir() / "files" / "md5" / digest[:2] / digest[2:]
        if not candidate.is_file():
            return None
        entries = json.loads(candidate.read_text(encoding="utf-8"))
        return {entry["relpath"]: entry["md5"] for entry in entries}

    def _cache_dir(self) -> Path:
        default = self.root / ".dvc" / "cache"
        if default.is_dir():
            return default
        from dvc.exceptions import DvcException
        from dvc.repo import Repo

        try:
            with Repo(str(self.root)) as repo:
                return Path(repo.cache.local.path).parent.parent
        except (DvcException, OSError) as error:
            logger.debug("No DVC cache found for %s: %s", self.root, error)
            return default


def find_root(artifact: Path) -> Path:
    """Return the nearest folder above `artifact` that contains dvc.yaml, .dvc or params.yaml, else the cwd."""
    for folder in [artifact.resolve(), *artifact.resolve().parents]:
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return Path.cwd().resolve()


def _short(digest: str | None) -> str:
    return digest[:12] if digest else "none"


class _Auditor:
    """State of one audit: the nodes traced so far, the files already expanded and cached digests."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = DvcLock(root)
        self.digests = _Digests()
        self.nodes: list[ChainNode] = []
        self.expanded: set[Path] = set()

    # Paths and nodes

    def resolve(self, recorded: str | Path) -> Path:
        path = Path(recorded)
        return path if path.is_absolute() else self.root / path

    def display(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    def node(self, path: Path | str, role: str, depth: int) -> ChainNode:
        label = path if isinstance(path, str) else self.display(path)
        created = ChainNode(label, role, depth)
        self.nodes.append(created)
        return created

    def child(self, parent: ChainNode, path: Path) -> ChainNode | None:
        """Return the node for `path` already listed directly under `parent`, if any."""
        label = self.display(path)
        start = self.nodes.index(parent) + 1
        for candidate in self.nodes[start:]:
            if candidate.depth <= parent.depth:
                break
            if candidate.depth == parent.depth + 1 and candidate.path == label:
                return candidate
        return None

    def compare(self, node: ChainNode, path: Path, recorded: str | None, where: str) -> bool:
        """Check a file's SHA-256 against a recorded one; return whether the file exists."""
        if not path.is_file():
            node.checks.append(Check(MISSING, f"file not found, but {where} records it"))
            return False
        if not recorded:
            node.checks.append(Check(UNVERIFIED, f"{where} names it but records no SHA-256"))
            return True
        actual = self.digests.sha256(path)
        if actual == recorded:
            node.checks.append(Check(OK, f"sha256 {_short(actual)} matches {where}"))
        else:
            node.checks.append(Check(DRIFT, f"sha256 is {_short(actual)}, but {where} records {_short(recorded)}"))
        return True

    # The walk

    def trace(self, path: Path, role: str, depth: int, recorded: str | None = None, where: str | None = None) -> ChainNode:
        """Add a node for `path`, compare it with a referrer's record, then follow its own records."""
        if role == "input" and _is_store(path):
            role = "store"
        node = self.node(path, role, depth)
        if where is not None and not self.compare(node, path, recorded, where):
            return node
        if where is None and not path.exists():
            node.checks.append(Check(MISSING, "file not found"))
            return node

        key = path.resolve()
        if key in self.expanded:
            node.facts.append("its sources are listed above")
            return node
        self.expanded.add(key)
        self.expand(node, path)
        return node

    def expand(self, node: ChainNode, path: Path) -> None:
        self.check_lock(node, path)
        if _is_store(path):
            self.expand_store(node, path)
            return
        if node.role in ("ratings file", "raters file"):
            node.facts.append("source file of the prepare stage")
            return
        self.expand_sidecar(node, path)
        if path.name == "report.json" and path.parent.name == "prepared":
            self.expand_ratings_report(node, path)
        if path.name == "settings.json" and path.parent.name == "similarity":
            self.link_similarity_store(node, path)

    def check_lock(self, node: ChainNode, path: Path) -> None:
        """Compare the file's MD5 with dvc.lock when the file lies inside a recorded stage output."""
        relative = self.display(path)
        out = self.lock.find(relative)
        if out is None:
            if _is_store(path):
                reason = "it is not an output in dvc.lock" if self.lock.exists else "the project has no dvc.lock"
                node.checks.append(Check(UNVERIFIED, f"store MD5 not compared with DVC's record: {reason}"))
            return

        if not out.is_dir:
            expected: str | None = out.md5
        else:
            manifest = self.lock.manifest(out)
            if manifest is None:
                node.checks.append(Check(UNVERIFIED, f"dvc.lock records folder {out.path} ({out.stage}), but its file list is not in the local DVC cache"))
                return
            expected = manifest.get(relative[len(out.path) + 1:])
            if expected is None:
                node.checks.append(Check(DRIFT, f"not listed in output {out.path} of {out.stage} in dvc.lock; it was added after the stage ran"))
                return

        actual = self.digests.md5(path)
        if actual == expected:
            node.checks.append(Check(OK, f"md5 {_short(actual)} matches dvc.lock ({out.stage})"))
        else:
            node.checks.append(Check(DRIFT, f"md5 is {_short(actual)}, but dvc.lock ({out.stage}) records {_short(expected)}; "
                                            "run `dvc checkout` or `dvc pull` to restore it, or `dvc repro` to rebuild"))

    def expand_sidecar(self, node: ChainNode, path: Path) -> None:
        sidecar = sidecar_path(path)
        if not sidecar.is_file():
            node.checks.append(Check(UNVERIFIED, f"no {sidecar.name}, so its own hash and its inputs are recorded nowhere"))
            return
        try:
            record = json.loads(sidecar.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            node.checks.append(Check(DRIFT, f"{sidecar.name} is not valid JSON ({error})"))
            return

        self.compare(node, path, record.get("artifact_sha256"), sidecar.name)
        node.facts.append(f"stage {record.get('stage')}, git commit {record.get('git_commit')}")
        inputs: dict[str, str] = record.get("inputs") or {}
        if not inputs:
            node.checks.append(Check(UNVERIFIED, f"{sidecar.name} records no inputs"))
        child_role = "ratings file" if record.get("stage") == "prepare" else "input"
        for recorded_path, digest in inputs.items():
            self.trace(self.resolve(recorded_path), child_role, node.depth + 1, digest, sidecar.name)

    def expand_ratings_report(self, node: ChainNode, path: Path) -> None:
        """Check the ratings and rater file hashes that prepare wrote into report.json."""
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            node.checks.append(Check(DRIFT, f"not valid JSON ({error})"))
            return
        source = report.get("source")
        if not source:
            node.checks.append(Check(UNVERIFIED, "report.json names no ratings source"))
            return
        source_path = self.resolve(source)
        listed = self.child(node, source_path)
        if listed is not None:
            self.compare(listed, source_path, report.get("source_sha256"), "report.json source_sha256")
        else:
            self.trace(source_path, "ratings file", node.depth + 1, report.get("source_sha256"), "report.json source_sha256")
        for name, info in (report.get("raters") or {}).items():
            if isinstance(info, dict) and info.get("path"):
                self.trace(self.resolve(info["path"]), "raters file", node.depth + 1, info.get("sha256"), f"report.json raters.{name}")

    def link_similarity_store(self, node: ChainNode, path: Path) -> None:
        """Check that the store beside the similarity folder is the one its settings.json came from."""
        try:
            settings = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            node.checks.append(Check(DRIFT, f"not valid JSON ({error})"))
            return
        node.facts.append(f"similarity method {settings.get('similarity_method')}")
        recorded_hash = (settings.get("store_attrs") or {}).get("settings_hash")
        store = path.parent.parent / "store.h5"

        target = self.child(node, store) or node
        if store.resolve() not in self.expanded:
            target = self.node(store, "store", node.depth + 1)
            target.checks.append(Check(UNVERIFIED, "no similarity sidecar records this store's SHA-256; it is linked by folder layout"))
        if not store.is_file():
            target.checks.append(Check(MISSING, "file not found beside the similarity folder"))
            return
        actual_hash = _store_attr(store, "settings_hash")
        if recorded_hash is None:
            target.checks.append(Check(UNVERIFIED, "similarity/settings.json records no store settings_hash"))
        elif actual_hash == recorded_hash:
            target.checks.append(Check(OK, f"store settings_hash {_short(actual_hash)} matches similarity/settings.json"))
        else:
            target.checks.append(Check(DRIFT, f"store settings_hash is {_short(actual_hash)}, but similarity/settings.json was computed "
                                              f"from a store with {_short(recorded_hash)}; the store was replaced after the similarity stage"))
        if store.resolve() not in self.expanded:
            self.expanded.add(store.resolve())
            self.expand(target, store)

    def expand_store(self, node: ChainNode, path: Path) -> None:
        try:
            with h5py.File(path, "r") as handle:
                attrs = {key: _plain(value) for key, value in handle.attrs.items()}
                words = None
                if "words" in handle:
                    words = [_plain(word) for word in handle["words"][:]]
        except OSError as error:
            node.checks.append(Check(DRIFT, f"not a readable HDF5 store ({error})"))
            return
        try:
            settings = json.loads(attrs["settings"])
        except (KeyError, TypeError, json.JSONDecodeError):
            node.checks.append(Check(DRIFT, "no readable `settings` attribute; this is not an activation store"))
            return

        node.facts.extend(_store_facts(settings, attrs))
        self.check_store_contents(node, settings, attrs, words)
        self.check_model(node, settings)
        inputs: dict[str, str] = settings.get("inputs_sha256") or {}
        if not inputs:
            node.checks.append(Check(UNVERIFIED, "the store records no input hashes (settings.inputs_sha256)"))
        for recorded_path, digest in inputs.items():
            self.trace(self.resolve(recorded_path), "input", node.depth + 1, digest, "store.h5 inputs_sha256")

    def check_store_contents(self, node: ChainNode, settings: dict[str, Any], attrs: dict[str, Any], words: list[str] | None) -> None:
        if not bool(attrs.get("complete", False)):
            node.checks.append(Check(DRIFT, "store is not marked complete; rerun extract"))
        recomputed = settings_hash(settings)
        if attrs.get("settings_hash") != recomputed:
            node.checks.append(Check(DRIFT, f"settings_hash attribute is {_short(attrs.get('settings_hash'))}, but the settings hash to {_short(recomputed)}"))
        if words is None or not settings.get("words_sha256"):
            node.checks.append(Check(UNVERIFIED, "the store records no words_sha256 for its word list"))
        elif sha256_text("\n".join(words)) != settings["words_sha256"]:
            node.checks.append(Check(DRIFT, "the stored words do not hash to settings.words_sha256"))
        else:
            node.checks.append(Check(OK, f"{len(words)} stored words match settings.words_sha256"))

    def check_model(self, store_node: ChainNode, settings: dict[str, Any]) -> None:
        model_id = str(settings.get("model_id"))
        node = self.node(f"model {model_id}", "model", store_node.depth + 1)
        node.facts.append(
            f"source {settings.get('model_source')}, revision {settings.get('model_revision')}, "
            f"commit {settings.get('model_commit_hash')}, architecture {settings.get('model_architecture')}, dtype {settings.get('model_dtype')}"
        )
        recorded = settings.get("model_weights_sha256")
        source = settings.get("model_source")
        if source == "hub":
            node.checks.append(Check(UNVERIFIED, f"hub model {model_id} at revision {settings.get('model_revision')}: "
                                                 "its weights cannot be checked offline"))
            return
        if not recorded:
            node.checks.append(Check(UNVERIFIED, "the store records no model_weights_sha256"))
            return

        actual, where = _model_weights_hash(model_id, source)
        if actual is None:
            node.checks.append(Check(UNVERIFIED, f"weights not found on this machine ({where}); recorded sha256 {_short(recorded)}"))
        elif actual == recorded:
            node.checks.append(Check(OK, f"weights sha256 {_short(actual)} ({where}) matches the store"))
        else:
            node.checks.append(Check(DRIFT, f"weights sha256 of {where} is {_short(actual)}, but the store was built from {_short(recorded)}"))


def _is_store(path: Path) -> bool:
    return path.suffix == ".h5"


def _store_attr(path: Path, name: str) -> Any:
    try:
        with h5py.File(path, "r") as handle:
            return _plain(handle.attrs.get(name))
    except OSError:
        return None


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value.item() if hasattr(value, "item") else value


def _store_facts(settings: dict[str, Any], attrs: dict[str, Any]) -> list[str]:
    return [
        f"model {settings.get('model_id')} (revision {settings.get('model_revision')}, weights sha256 {_short(settings.get('model_weights_sha256'))})",
        f"templates {settings.get('templates')}, pooling {settings.get('pooling')}, BOS {settings.get('bos_policy')} "
        f"(prepended: {settings.get('bos_prepended')}), model dtype {settings.get('model_dtype')}, "
        f"storage dtype {settings.get('storage_dtype')}",
        f"{settings.get('n_words')} words, {settings.get('n_layers')} layers, settings_hash {_short(attrs.get('settings_hash'))}",
    ]


def _model_weights_hash(model_id: str, source: str | None) -> tuple[str | None, str]:
    """Recompute the weights hash the loader recorded; return (hash or None, what was hashed)."""
    from concept_sim.models import embedded
    from concept_sim.models.loading import _folder_weights_hash
    from concept_sim.provenance import sha256_file

    if embedded.is_embedded(model_id):
        try:
            gguf = embedded.gguf_path()
        except ConfigError as error:
            return None, str(error)
        return sha256_file(gguf), str(gguf)
    folder = Path(model_id)
    if source == "local folder" and folder.is_dir():
        return _folder_weights_hash(folder), f"folder {folder}"
    return None, f"folder {folder}"


def audit_artifact(path: Path) -> AuditReport:
    """Trace `path` (a file, or a folder of artifacts) back to its sources and recheck every hash."""
    path = Path(path)
    if not path.exists():
        raise ConceptSimError(f"{path}: artifact not found; give a file under artifacts/, e.g. artifacts/<dataset>/<model>/<method>/rsa/rsa.csv")
    root = find_root(path)
    auditor = _Auditor(root)
    absolute = path.resolve()
    targets = [absolute] if absolute.is_file() else sorted(
        p for p in absolute.rglob("*") if p.is_file() and not p.name.endswith(SIDECAR_SUFFIX)
    )
    for target in targets:
        auditor.trace(target, "artifact", 0)
    logger.debug("Audited %d files from %s under %s", len(auditor.expanded), path, root)
    return AuditReport(path, root, auditor.nodes)


def format_report(report: AuditReport) -> str:
    """Render the chain as an indented tree, followed by a summary of problems and gaps."""
    lines = [f"Audit of {report.artifact} (project root {report.root})", ""]
    for node in report.nodes:
        indent = "  " * node.depth
        lines.append(f"{indent}{node.path}  [{node.role}]")
        for fact in node.facts:
            lines.append(f"{indent}    - {fact}")
        for check in node.checks:
            lines.append(f"{indent}    {check.status:<10} {check.message}")
    lines.append("")
    if report.problems:
        lines.append(f"{len(report.problems)} problem(s):")
        lines.extend(f"  {problem}" for problem in report.problems)
    else:
        lines.append("No drift: every recorded hash matches the files present.")
    if report.unverified:
        lines.append(f"{len(report.unverified)} record(s) could not be verified:")
        lines.extend(f"  {item}" for item in report.unverified)
    return "\n".join(lines)
