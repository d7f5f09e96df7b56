"""Readers for human word-pair similarity ratings (SimLex-999, WordSim-353, MEN, notebook files, CSV)."""

from concept_sim.ratings.agreement import PUBLISHED_AGREEMENT
from concept_sim.ratings.load import load_ratings
from concept_sim.ratings.model import PAIR_COLUMNS, RATER_COLUMNS, Ratings
from concept_sim.ratings.prepare import prepare_dataset
from concept_sim.ratings.sources import resolve_source

__all__ = [
    "PAIR_COLUMNS",
    "PUBLISHED_AGREEMENT",
    "RATER_COLUMNS",
    "Ratings",
    "load_ratings",
    "prepare_dataset",
    "resolve_source",
]
