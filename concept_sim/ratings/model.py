"""Data types shared by the ratings readers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

PAIR_COLUMNS = ["word1", "word2", "pos1", "pos2", "score_raw", "score", "line", "self_pair"]
RATER_COLUMNS = ["word1", "word2", "rater", "score"]


@dataclass(frozen=True)
class RawRow:
    """One rated pair as read from a file, before case folding and duplicate handling."""

    word1: str
    word2: str
    pos1: str
    pos2: str
    score_raw: float
    line: int


@dataclass(frozen=True)
class Skipped:
    """A line that contains no pair (header, comment or blank line) and why it was skipped."""

    line: int
    reason: str


@dataclass
class ReadResult:
    """Rows read by one format reader, the lines it skipped and format-specific notes for the report."""

    rows: list[RawRow]
    skipped: list[Skipped]
    lines_read: int
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ratings:
    """The rated pairs of one dataset, rescaled to 0-1, with the prepare report.

    `pairs` has exactly the columns in PAIR_COLUMNS. `raters` is None unless the dataset lists
    per-rater files, and then has the columns in RATER_COLUMNS.
    """

    pairs: pd.DataFrame
    words: list[str]
    report: dict[str, Any]
    source: Path
    format: str
    scale: tuple[float, float]
    raters: pd.DataFrame | None = None
