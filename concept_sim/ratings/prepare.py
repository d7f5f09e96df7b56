"""The `prepare` stage: write one dataset's pairs, words, report and provenance sidecars."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import pandas as pd

from concept_sim.errors import RatingsError
from concept_sim.provenance import build_record, write_sidecar
from concept_sim.ratings.load import load_ratings
from concept_sim.ratings.model import RATER_COLUMNS, Ratings

logger = logging.getLogger(__name__)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def pair_scores(ratings: Ratings) -> dict[str, float]:
    """Return the notebook's mapping {"word1|word2": score} with scores on 0-1."""
    pairs = ratings.pairs
    return {f"{w1}|{w2}": float(score) for w1, w2, score in zip(pairs["word1"], pairs["word2"], pairs["score"])}


def prepare_dataset(name: str, dataset: dict[str, Any], prepare: dict[str, Any] | None, out_dir: Path) -> Ratings:
    """Read one dataset and write pairs.csv, words.txt, report.json, pair_scores.json and raters.csv.

    raters.csv holds only its header when the dataset lists no `raters`, so that the rsa stage can
    always declare it as a DVC dependency. Every file gets a provenance sidecar. Raise RatingsError
    when no usable pair remains.
    """
    started = time.perf_counter()
    ratings = load_ratings(dataset, prepare, name=name)
    if ratings.pairs.empty:
        raise RatingsError(f"{ratings.source}:1: no usable pairs (lines read: {ratings.report['lines_read']}, "
                           f"all skipped); check that `source` points at a ratings file")

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {
        "pairs": out_dir / "pairs.csv",
        "words": out_dir / "words.txt",
        "report": out_dir / "report.json",
        "pair_scores": out_dir / "pair_scores.json",
    }
    # Twelve significant digits drop binary noise such as 8.8 / 10 = 0.8800000000000001.
    ratings.pairs.to_csv(written["pairs"], index=False, encoding="utf-8", float_format="%.12g")
    written["words"].write_text("".join(f"{word}\n" for word in ratings.words), encoding="utf-8")
    _write_json(written["report"], ratings.report)
    _write_json(written["pair_scores"], pair_scores(ratings))

    params = {"dataset": dataset, "prepare": prepare}
    record = build_record("prepare", [ratings.source], params)
    for path in written.values():
        write_sidecar(path, record)

    raters_path = out_dir / "raters.csv"
    if ratings.raters is not None:
        ratings.raters.to_csv(raters_path, index=False, encoding="utf-8")
        rater_inputs = [ratings.source] + [Path(info["path"]) for info in ratings.report["raters"].values()]
    else:
        pd.DataFrame(columns=RATER_COLUMNS).to_csv(raters_path, index=False, encoding="utf-8")
        rater_inputs = [ratings.source]
    write_sidecar(raters_path, build_record("prepare", rater_inputs, params))

    logger.info("prepared %s into %s: %d pairs, %d words (%.2f s)", name, out_dir,
                len(ratings.pairs), len(ratings.words), time.perf_counter() - started)
    return ratings
