"""Grouping of repeated pairs (in either order) and the duplicate policies mean, first and error."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from statistics import fmean
from typing import Any

from concept_sim.errors import RatingsError
from concept_sim.ratings.model import RawRow

logger = logging.getLogger(__name__)

# Duplicate groups logged one by one before the rest are summarised in a single line.
_MAX_LOGGED_GROUPS = 20


def pair_key(row: RawRow) -> tuple[tuple[str, str], tuple[str, str]]:
    """Return the unordered identity of a pair: its two (word, pos) items, sorted."""
    first, second = sorted([(row.word1, row.pos1), (row.word2, row.pos2)])
    return first, second


def pair_label(row: RawRow) -> str:
    return f"{row.word1}|{row.word2}"


def group_rows(rows: list[RawRow]) -> list[list[RawRow]]:
    """Group rows by unordered pair, in the order each pair first appears."""
    groups: dict[tuple[tuple[str, str], tuple[str, str]], list[RawRow]] = {}
    for row in rows:
        groups.setdefault(pair_key(row), []).append(row)
    return list(groups.values())


def describe_group(group: list[RawRow]) -> dict[str, Any]:
    return {
        "pair": pair_label(group[0]),
        "lines": [row.line for row in group],
        "scores": [row.score_raw for row in group],
    }


def _duplicates_error(path: Path, repeated: list[list[RawRow]]) -> RatingsError:
    first = repeated[0]
    listed = "; ".join(
        f"'{pair_label(group[0])}' on lines {', '.join(str(row.line) for row in group)} "
        f"(scores {', '.join(f'{row.score_raw:g}' for row in group)})"
        for group in repeated
    )
    return RatingsError(f"{path}:{first[0].line}: {len(repeated)} pair(s) appear more than once: {listed}; "
                        "remove the extra lines, or set prepare.duplicates to mean or first in params.yaml")


def _log_groups(path: Path, repeated: list[list[RawRow]], policy: str) -> None:
    for group in repeated[:_MAX_LOGGED_GROUPS]:
        info = describe_group(group)
        logger.warning("%s: pair '%s' appears on lines %s with scores %s; keeping the %s",
                       path, info["pair"], info["lines"], info["scores"],
                       "mean" if policy == "mean" else "first")

    if len(repeated) > _MAX_LOGGED_GROUPS:
        logger.warning("%s: %d more duplicate pairs; report.json lists all of them",
                       path, len(repeated) - _MAX_LOGGED_GROUPS)


def resolve_duplicates(path: Path, rows: list[RawRow], policy: str) -> tuple[list[RawRow], list[dict[str, Any]]]:
    """Return one row per unordered pair and the description of every repeated group.

    The kept row has the word order and line of the first occurrence. Policy `mean` averages
    score_raw over the group, `first` keeps the first score, and `error` raises RatingsError.
    """
    groups = group_rows(rows)
    repeated = [group for group in groups if len(group) > 1]

    if repeated and policy == "error":
        raise _duplicates_error(path, repeated)
    _log_groups(path, repeated, policy)

    kept = []
    for group in groups:
        score = fmean(row.score_raw for row in group) if policy == "mean" else group[0].score_raw
        kept.append(replace(group[0], score_raw=score))
    return kept, [describe_group(group) for group in repeated]
