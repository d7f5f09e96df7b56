"""Validation of the `datasets:` entries and the `prepare:` section of params.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from concept_sim.errors import ConfigError

FORMATS = (
    "simlex999",
    "wordsim353",
    "wordsim353_split",
    "men",
    "notebook_pos",
    "notebook_json",
    "gensim_tsv",
    "csv",
)
DUPLICATE_POLICIES = ("mean", "first", "error")
CASE_POLICIES = ("keep", "lower")
DIRECTIONS = ("similarity", "distance")
COLUMN_KEYS = ("word1", "word2", "score", "pos1", "pos2", "pos")


@dataclass(frozen=True)
class DatasetOptions:
    """One `datasets:` entry after validation."""

    source: str
    format: str
    scale: tuple[float, float] | None
    direction: str
    columns: dict[str, str | int] | None
    delimiter: str | None
    header: bool
    encoding: str | None
    raters: list[str]
    rater_scale: tuple[float, float] | None
    rater_aliases: str | None


@dataclass(frozen=True)
class PrepareOptions:
    """The `prepare:` section after validation."""

    duplicates: str
    case: str
    decimal_comma: bool


def parse_scale(value: Any, key: str) -> tuple[float, float] | None:
    """Return `[lo, hi]` as a float pair, None when absent; ConfigError unless lo < hi."""
    if value is None:
        return None

    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ConfigError(f"{key} must be a list [lo, hi], got {value!r}")

    try:
        lo, hi = float(value[0]), float(value[1])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{key} must contain two numbers, got {value!r}") from exc

    if not lo < hi:
        raise ConfigError(f"{key} must have lo < hi, got {value!r}")
    return lo, hi


def _choice(value: Any, allowed: tuple[str, ...], key: str) -> str:
    if value not in allowed:
        raise ConfigError(f"{key} is {value!r}; expected one of: {', '.join(allowed)}")
    return value


def _columns(value: Any) -> dict[str, str | int] | None:
    if value is None:
        return None

    if not isinstance(value, dict):
        raise ConfigError(f"columns must be a mapping such as {{word1: w1, word2: w2, score: sim}}, got {value!r}")

    unknown = sorted(set(value) - set(COLUMN_KEYS))
    if unknown:
        raise ConfigError(f"columns has unknown keys {unknown}; expected keys: {', '.join(COLUMN_KEYS)}")

    missing = [key for key in ("word1", "word2", "score") if key not in value]
    if missing:
        raise ConfigError(f"columns is missing {', '.join(missing)}; word1, word2 and score are required")
    return dict(value)


def _delimiter(value: Any) -> str | None:
    if value is None:
        return None

    aliases = {"tab": "\t", "\\t": "\t", "comma": ",", "space": " "}
    delimiter = aliases.get(value, value)
    if delimiter not in ("\t", ",", " ", ";"):
        raise ConfigError(f"delimiter is {value!r}; expected tab, comma, space or ';'")
    return delimiter


def _raters(value: Any) -> list[str]:
    if value is None:
        return []

    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"raters must be a list of file paths, got {value!r}")
    return list(value)


def parse_dataset_options(dataset: dict[str, Any]) -> DatasetOptions:
    """Validate one `datasets:` entry; raise ConfigError naming the key and the allowed values."""
    if not isinstance(dataset, dict) or not dataset.get("source"):
        raise ConfigError(f"a dataset entry needs a `source` (a file path or gensim:<name>), got {dataset!r}")

    fmt = dataset.get("format", "auto") or "auto"
    if fmt != "auto":
        _choice(fmt, FORMATS, "format")

    return DatasetOptions(
        source=str(dataset["source"]),
        format=fmt,
        scale=parse_scale(dataset.get("scale"), "scale"),
        direction=_choice(dataset.get("direction", "similarity"), DIRECTIONS, "direction"),
        columns=_columns(dataset.get("columns")),
        delimiter=_delimiter(dataset.get("delimiter")),
        header=bool(dataset.get("header", True)),
        encoding=dataset.get("encoding"),
        raters=_raters(dataset.get("raters")),
        rater_scale=parse_scale(dataset.get("rater_scale"), "rater_scale"),
        rater_aliases=dataset.get("rater_aliases"),
    )


def parse_prepare_options(prepare: dict[str, Any] | None) -> PrepareOptions:
    """Validate the `prepare:` section, filling in the defaults (mean, keep, no decimal comma)."""
    prepare = prepare or {}
    decimal_comma = prepare.get("decimal_comma", False)
    if not isinstance(decimal_comma, bool):
        raise ConfigError(f"prepare.decimal_comma must be true or false, got {decimal_comma!r}")

    return PrepareOptions(
        duplicates=_choice(prepare.get("duplicates", "mean"), DUPLICATE_POLICIES, "prepare.duplicates"),
        case=_choice(prepare.get("case", "keep"), CASE_POLICIES, "prepare.case"),
        decimal_comma=decimal_comma,
    )
