"""Published inter-rater agreement of the rating datasets, keyed by format name.

Only numbers printed in the files of each dataset's own distribution are listed:

- MEN: `agreement/agreement-score.txt` in the MEN distribution (MEN.zip, files dated 2012-04-03)
  states that the first and third author each rated all 3,000 pairs on a 1-7 Likert scale, that
  "The Spearman correlation of the two authors is at 0.68", and that "the correlation of their
  average ratings with the MEN scores is at 0.84". The same file prints a correlation matrix of
  men, marco and elia, without naming the coefficient, and `correlation(men, marco+elia)=0.84`.
- NOTE: recomputing Spearman from the distributed MEN files (concept_sim.ratings with the natural
  form as source and the lemma form as rater_aliases, 2,999 pairs) reproduces men-marco 0.8658
  but gives 0.82 for men-elia and marco-elia, not the printed 0.68. The printed elia figures do
  not follow from the distributed elias-men-ratings.txt.
- SimLex-999: the distribution's README.txt describes the SD(SimLex) column but prints no
  agreement figure, so SimLex-999 has no entry.
- WordSim-353 and its similarity/relatedness split: the distributed files (instructions.txt and
  the data files) print no agreement figure, so they have no entry.
"""

from __future__ import annotations

from typing import Any

PUBLISHED_AGREEMENT: dict[str, dict[str, Any]] = {
    "men": {
        "source": "agreement/agreement-score.txt in the MEN distribution",
        "raters": "two of the authors (elia, marco), each rating all 3,000 pairs on a 1-7 scale",
        "spearman_between_raters": 0.68,
        "correlation_rater_mean_vs_dataset": 0.84,
        # The file prints this matrix without naming the coefficient. Its marco-elia entry
        # rounds to the Spearman 0.68 stated in the text.
        "correlation_matrix": {
            "men": {"men": 1.0, "marco": 0.8658309, "elia": 0.6776950},
            "marco": {"men": 0.8658309, "marco": 1.0, "elia": 0.6845838},
            "elia": {"men": 0.6776950, "marco": 0.6845838, "elia": 1.0},
        },
    },
}
