"""Parsing, range checks and rescaling of rating scores."""

from __future__ import annotations

import re
from pathlib import Path

from concept_sim.errors import RatingsError

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
# Tolerance for scores written at the scale ends with rounding noise, e.g. 10.000000001.
_EPSILON = 1e-9


def parse_score(text: str, where: str, expected: str, decimal_comma: bool) -> float:
    """Return the score written in `text`; `where` is the `file:line` prefix of any RatingsError.

    A decimal comma (`7,5`) is read as 7.5 only when `decimal_comma` is true.
    """
    if _NUMBER.fullmatch(text):
        return float(text)

    if _DECIMAL_COMMA.fullmatch(text):
        if decimal_comma:
            return float(text.replace(",", "."))
        raise RatingsError(f"{where}: score '{text}' uses a decimal comma; write it with a decimal "
                           "point, or set prepare.decimal_comma: true in params.yaml")

    if text == "":
        raise RatingsError(f"{where}: score is empty; expected {expected}")
    raise RatingsError(f"{where}: score '{text}' is not a number; expected {expected}")


def check_in_scale(value: float, text: str, where: str, scale: tuple[float, float]) -> None:
    """Raise RatingsError when `value` lies outside the declared scale."""
    lo, hi = scale
    if lo - _EPSILON <= value <= hi + _EPSILON:
        return

    raise RatingsError(f"{where}: score {text} is outside the declared scale {lo:g}-{hi:g}; "
                       "fix the value, or set `scale: [lo, hi]` for this dataset in params.yaml")


def rescale(raw: float, scale: tuple[float, float], direction: str) -> float:
    """Map a raw score to 0-1; a distance becomes a similarity (1 - rescaled distance).

    Values within the tolerance outside the scale are clipped to 0 or 1.
    """
    lo, hi = scale
    unit = min(max((raw - lo) / (hi - lo), 0.0), 1.0)
    return 1.0 - unit if direction == "distance" else unit


def conversion_text(scale: tuple[float, float], direction: str) -> str:
    """Describe the raw-to-score mapping for the report."""
    lo, hi = scale
    unit = f"(score_raw - {lo:g}) / ({hi:g} - {lo:g})"
    if direction == "distance":
        return f"score = 1 - {unit}; score_raw is a distance, so 1 - rescaled distance gives a similarity"
    return f"score = {unit}"


def location(path: Path, line: int) -> str:
    return f"{path}:{line}"


def looks_numeric(text: str) -> bool:
    """Return whether `text` is written as a number, with a decimal point or a decimal comma."""
    return bool(_NUMBER.fullmatch(text) or _DECIMAL_COMMA.fullmatch(text))
