"""Typed, validated parameters read from params.yaml, and the one place that defines their defaults."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from concept_sim.errors import ConfigError

POOLING_CHOICES = ("last", "mean", "first")
BOS_CHOICES = ("auto", "always", "never")
DTYPE_CHOICES = ("float32", "float16", "bfloat16")
STORAGE_DTYPE_CHOICES = ("float32", "float16", "bfloat16")
SIMILARITY_CHOICES = ("raw", "center", "zscore")
DEVICE_CHOICES = ("auto", "cpu", "cuda")

# Built-in context templates. Each puts the word after a space and never at position 0,
# so that the first-token attention sink falls on BOS or on template text instead of the word.
BUILTIN_TEMPLATES: dict[str, str] = {
    "word_quoted": 'The word "{word}"',
    "definition": "The meaning of the word {word}",
    "list": "Here is a list of words: house, river, {word}",
    "sentence": "I thought about the {word} for a while.",
    "bare": "{word}",
}


def resolve_template(template: str) -> str:
    """Return the template text for a built-in name, or the string itself when it contains `{word}`."""
    if template in BUILTIN_TEMPLATES:
        return BUILTIN_TEMPLATES[template]
    if template.count("{word}") != 1:
        raise ConfigError(
            f"template {template!r} is neither a built-in name ({', '.join(BUILTIN_TEMPLATES)}) "
            "nor a string with exactly one {word} placeholder"
        )
    return template


def _check_choice(section: str, name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{section}.{name} is {value!r}; expected one of {', '.join(choices)}")


def _from_mapping(cls: type, section: str, values: dict[str, Any] | None) -> Any:
    """Build a dataclass from a params mapping, rejecting unknown keys by name."""
    values = dict(values or {})
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"{section} has unknown keys {unknown}; known keys are {sorted(known)}")
    return cls(**values)


@dataclass(frozen=True)
class ModelConfig:
    """A model: a hub id, a local directory, or `embedded:smollm2-135m-instruct`."""

    id: str
    revision: str | None = None
    dtype: str = "float32"

    def __post_init__(self) -> None:
        _check_choice("models", "dtype", self.dtype, DTYPE_CHOICES)


@dataclass(frozen=True)
class ExtractMethod:
    """Settings that change the vectors: templates, pooling and BOS policy."""

    templates: list[str] = field(default_factory=lambda: ["word_quoted"])
    pooling: str = "last"
    bos: str = "auto"

    def __post_init__(self) -> None:
        _check_choice("extract", "pooling", self.pooling, POOLING_CHOICES)
        _check_choice("extract", "bos", self.bos, BOS_CHOICES)
        if not self.templates:
            raise ConfigError("extract.templates is empty; give at least one template")
        for template in self.templates:
            resolve_template(template)

    @property
    def template_texts(self) -> list[str]:
        return [resolve_template(t) for t in self.templates]


@dataclass(frozen=True)
class SimilarityMethod:
    """The anisotropy control applied before cosine: raw, center (subtract the mean vector) or zscore."""

    method: str = "zscore"

    def __post_init__(self) -> None:
        _check_choice("similarity", "method", self.method, SIMILARITY_CHOICES)


@dataclass(frozen=True)
class Method:
    """A named analysis method: how vectors are extracted and compared."""

    extract: ExtractMethod
    similarity: SimilarityMethod


@dataclass(frozen=True)
class RunSettings:
    """Settings of the extract stage that do not change the vectors beyond storage precision."""

    batch_size: int = 64
    storage_dtype: str = "float32"
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"extract_run.batch_size is {self.batch_size}; expected a positive integer")
        _check_choice("extract_run", "storage_dtype", self.storage_dtype, STORAGE_DTYPE_CHOICES)
        _check_choice("extract_run", "device", self.device, DEVICE_CHOICES)


@dataclass(frozen=True)
class Params:
    """Every section of params.yaml."""

    raw: dict[str, Any]

    @classmethod
    def load(cls, path: str | Path = "params.yaml") -> Params:
        path = Path(path)
        if not path.exists():
            raise ConfigError(f"{path}: params file not found; run from the project root or pass --params")
        with open(path, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle) or {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level")
        return cls(raw=raw)

    def section(self, name: str) -> dict[str, Any]:
        value = self.raw.get(name) or {}
        if not isinstance(value, dict):
            raise ConfigError(f"params section {name!r} must be a mapping, got {type(value).__name__}")
        return value

    def dataset(self, name: str) -> dict[str, Any]:
        datasets = self.section("datasets")
        if name not in datasets:
            raise ConfigError(f"dataset {name!r} is not in params datasets; known: {sorted(datasets)}")
        return dict(datasets[name])

    def model(self, name: str) -> ModelConfig:
        models = self.section("models")
        if name not in models:
            raise ConfigError(f"model {name!r} is not in params models; known: {sorted(models)}")
        return _from_mapping(ModelConfig, f"models.{name}", models[name])

    def method(self, name: str) -> Method:
        methods = self.section("methods")
        if name not in methods:
            raise ConfigError(f"method {name!r} is not in params methods; known: {sorted(methods)}")
        entry = methods[name] or {}
        unknown = sorted(set(entry) - {"extract", "similarity"})
        if unknown:
            raise ConfigError(f"methods.{name} has unknown keys {unknown}; expected extract and similarity")
        return Method(
            extract=_from_mapping(ExtractMethod, f"methods.{name}.extract", entry.get("extract")),
            similarity=_from_mapping(SimilarityMethod, f"methods.{name}.similarity", entry.get("similarity")),
        )

    def run_settings(self) -> RunSettings:
        return _from_mapping(RunSettings, "extract_run", self.section("extract_run"))


def settings_hash(settings: dict[str, Any]) -> str:
    """Return a stable SHA-256 of a JSON-serialisable settings mapping."""
    encoded = json.dumps(settings, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def as_dict(obj: Any) -> dict[str, Any]:
    return asdict(obj)
