"""concept-sim: per-hook representational similarity between language-model activations and human ratings."""

__version__ = "0.1.0"
