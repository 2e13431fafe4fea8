"""Code aliases: the spellings (Italian and English) of the closed codes of pipeline and roster records.

Each alias table maps a lower-cased, stripped answer to its canonical code
(:mod:`channelstudy.vocabulary`); anything else becomes missing.

>>> import pandas as pd
>>> map_aliases(pd.Series([" Vinta", "lost", "maybe"]), STAGE_ALIASES).tolist()
['won', 'lost', nan]
"""

from __future__ import annotations

import pandas as pd

from channelstudy.vocabulary import TIERS

__all__ = ["RECORD_TYPE_ALIASES", "RELATIONSHIP_ALIASES", "STAGE_ALIASES", "TIER_ALIASES", "map_aliases"]

RELATIONSHIP_ALIASES = {"channel": "channel", "alliance": "alliance", "joint venture": "joint_venture",
                        "joint_venture": "joint_venture", "jv": "joint_venture", "canale": "channel",
                        "alleanza": "alliance"}
RECORD_TYPE_ALIASES = {"lead": "lead", "leads": "lead", "segnalazione": "lead", "opportunity": "opportunity",
                       "opportunità": "opportunity", "opportunita": "opportunity", "opp": "opportunity"}
STAGE_ALIASES = {"open": "open", "aperta": "open", "won": "won", "vinta": "won", "lost": "lost", "persa": "lost"}
TIER_ALIASES = {t: t for t in TIERS}


def map_aliases(values: pd.Series, aliases: dict[str, str]) -> pd.Series:
    """Canonical code of each answer (lower-cased and stripped first); NA when unknown."""
    key = values.astype("str").str.strip().str.lower()
    return key.map(aliases).astype("str")
