"""Reading one dataset into a Ratings table with its prepare report."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from concept_sim.errors import ConfigError, RatingsError
from concept_sim.provenance import sha256_file
from concept_sim.ratings.agreement import PUBLISHED_AGREEMENT
from concept_sim.ratings.duplicates import resolve_duplicates
from concept_sim.ratings.formats import DECLARED_SCALES, detect_format
from concept_sim.ratings.model import PAIR_COLUMNS, Ratings, RawRow
from concept_sim.ratings.options import DatasetOptions, PrepareOptions, parse_dataset_options, parse_prepare_options
from concept_sim.ratings.raters import align_raters
from concept_sim.ratings.readers import READERS
from concept_sim.ratings.scores import conversion_text, location, rescale
from concept_sim.ratings.sources import resolve_source
from concept_sim.ratings.tables import ScoreRules
from concept_sim.ratings.text import read_lines

logger = logging.getLogger(__name__)


def _choose_format(path: Path, lines: list[str], requested: str) -> tuple[str, bool]:
    if requested != "auto":
        logger.info("%s: reading as format %s (set in params)", path, requested)
        return requested, False

    fmt = detect_format(path, lines)
    logger.info("%s: detected format %s", path, fmt)
    return fmt, True


def _choose_scale(fmt: str, options: DatasetOptions) -> tuple[tuple[float, float], str]:
    if options.scale is not None:
        return options.scale, "params"
    if fmt in DECLARED_SCALES:
        return DECLARED_SCALES[fmt], "format"
    raise ConfigError(f"format {fmt} has no declared scale; set `scale: [lo, hi]` for {options.source} in params.yaml")


def _apply_case(rows: list[RawRow], case: str) -> list[RawRow]:
    if case == "keep":
        return rows
    return [replace(row, word1=row.word1.lower(), word2=row.word2.lower()) for row in rows]


def _check_separator_free(path: Path, rows: list[RawRow]) -> None:
    # pair_scores.json joins the two words with "|", so a word must not contain it.
    for row in rows:
        for word in (row.word1, row.word2):
            if "|" in word:
                raise RatingsError(f"{location(path, row.line)}: word '{word}' contains '|', which "
                                   "separates the words of a pair in pair_scores.json; rename the item")


def _pairs_frame(rows: list[RawRow], scale: tuple[float, float], direction: str) -> pd.DataFrame:
    records = [
        {
            "word1": row.word1,
            "word2": row.word2,
            "pos1": row.pos1,
            "pos2": row.pos2,
            "score_raw": row.score_raw,
            "score": rescale(row.score_raw, scale, direction),
            "line": row.line,
            "self_pair": row.word1 == row.word2 and row.pos1 == row.pos2,
        }
        for row in rows
    ]
    frame = pd.DataFrame(records, columns=PAIR_COLUMNS)
    return frame.astype({"line": "int64", "self_pair": "bool", "score_raw": "float64", "score": "float64"})


def _read_aliases(options: DatasetOptions, policy: PrepareOptions) -> list[RawRow]:
    """Read the `rater_aliases` file, e.g. the MEN lemma form beside the natural form.

    Only its words and line numbers are used, so its scores are not range-checked.
    """
    if not options.rater_aliases:
        return []

    path = resolve_source(options.rater_aliases)
    lines = read_lines(path, options.encoding)
    fmt = detect_format(path, lines)
    any_score = ScoreRules((float("-inf"), float("inf")), policy.decimal_comma)
    result = READERS[fmt](path, lines, options, any_score)
    return _apply_case(result.rows, policy.case)


def _base_report(name: str | None, path: Path, fmt: str, detected: bool, scale: tuple[float, float],
                 scale_source: str, options: DatasetOptions, prepare: PrepareOptions) -> dict[str, Any]:
    return {
        "dataset": name,
        "source": str(path),
        "source_param": options.source,
        "source_sha256": sha256_file(path),
        "format": fmt,
        "format_detected": detected,
        "scale": list(scale),
        "scale_source": scale_source,
        "direction": options.direction,
        "conversion": conversion_text(scale, options.direction),
        "case": prepare.case,
        "duplicates": prepare.duplicates,
        "decimal_comma": prepare.decimal_comma,
        "encoding": options.encoding or "utf-8",
    }


def load_ratings(dataset: dict[str, Any], prepare: dict[str, Any] | None, name: str | None = None) -> Ratings:
    """Read, validate and rescale one dataset; `dataset` is a `datasets:` entry, `prepare` the `prepare:` section.

    Raise ConfigError for invalid params and RatingsError (`file:line: reason`) for invalid data.
    """
    started = time.perf_counter()
    options = parse_dataset_options(dataset)
    policy = parse_prepare_options(prepare)

    path = resolve_source(options.source)
    lines = read_lines(path, options.encoding)
    fmt, detected = _choose_format(path, lines, options.format)
    scale, scale_source = _choose_scale(fmt, options)

    result = READERS[fmt](path, lines, options, ScoreRules(scale, policy.decimal_comma))
    rows = _apply_case(result.rows, policy.case)
    _check_separator_free(path, rows)
    unique_rows, duplicate_groups = resolve_duplicates(path, rows, policy.duplicates)

    pairs = _pairs_frame(unique_rows, scale, options.direction)
    words = sorted(set(pairs["word1"]) | set(pairs["word2"]))
    self_pairs = [{"pair": f"{w1}|{w2}", "line": int(line)}
                  for w1, w2, line in pairs.loc[pairs["self_pair"], ["word1", "word2", "line"]].itertuples(index=False)]

    report = _base_report(name, path, fmt, detected, scale, scale_source, options, policy)
    report.update({
        **result.notes,
        "lines_read": result.lines_read,
        "rows_read": len(result.rows),
        "pairs_used": len(pairs),
        "skipped": [{"line": item.line, "reason": item.reason} for item in result.skipped],
        "duplicate_groups": duplicate_groups,
        "self_pairs": self_pairs,
        "n_words": len(words),
    })
    if fmt in PUBLISHED_AGREEMENT:
        report["published_agreement"] = PUBLISHED_AGREEMENT[fmt]

    raters = None
    if options.raters:
        aliases = _read_aliases(options, policy)
        raters, report["raters"] = align_raters(options.raters, pairs, fmt, options.rater_scale,
                                                policy.case, options.direction, policy.decimal_comma, aliases)
        if options.rater_aliases:
            report["rater_aliases"] = str(resolve_source(options.rater_aliases))

    logger.info("%s: %s, %d lines, %d rows, %d pairs, %d words, %d duplicate groups, %d self-pairs (%.2f s)",
                path, fmt, result.lines_read, len(result.rows), len(pairs), len(words),
                len(duplicate_groups), len(self_pairs), time.perf_counter() - started)
    return Ratings(pairs=pairs, words=words, report=report, source=path, format=fmt, scale=scale, raters=raters)
