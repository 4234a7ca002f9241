"""Invented place names, organisation names and identifiers for the demo world.

Names are built from made-up syllables so that no real organisation is ever
shown with invented figures. Identifiers have the shapes of real ones (see
:mod:`mutuals.registry.identifiers`) but are drawn at random.
"""

from __future__ import annotations

import numpy as np

_HEADS = (
    "Brackan",
    "Fenmar",
    "Quellin",
    "Ormer",
    "Thessel",
    "Wendle",
    "Carrow",
    "Yarden",
    "Skelda",
    "Morrow",
    "Haskel",
    "Lindel",
    "Kestle",
    "Tamsel",
    "Pellin",
    "Rookes",
    "Sallow",
    "Wyther",
    "Cobble",
    "Dunmer",
    "Elsive",
    "Fairhol",
    "Gorsey",
    "Hennet",
    "Ivering",
    "Jessop",
    "Kiveret",
    "Larken",
    "Mossel",
    "Nubbin",
    "Oakhen",
    "Purrow",
    "Quarrel",
    "Ruvel",
    "Stannow",
    "Tollan",
    "Ullow",
    "Vexley",
    "Wolden",
    "Yelver",
    "Ashkel",
    "Brisket",
    "Caddow",
    "Dimmer",
    "Eskarn",
    "Fennaby",
    "Glaver",
    "Hovarn",
    "Imbrey",
    "Juniper",
    "Kessow",
    "Lowder",
    "Marrow",
    "Nunnel",
    "Orvell",
    "Pennock",
    "Quillet",
    "Rellow",
    "Sedrow",
    "Trundle",
)
_TAILS = (
    "ford",
    "moor",
    "by",
    "wick",
    "ham",
    "stow",
    "dale",
    "ton",
    "field",
    "mere",
    "bridge",
    "combe",
    "holt",
    "worth",
    "thorpe",
    "ley",
    "well",
    "cross",
    "hurst",
    "marsh",
    "den",
    "gate",
    "brook",
    "end",
)


def place_names(rng: np.random.Generator) -> list[str]:
    """Every invented place name, in a random order."""
    names = [head + tail for head in _HEADS for tail in _TAILS]
    return [names[i] for i in rng.permutation(len(names))]


_RTR_PATTERNS = {
    "cic_guarantee": ("{} Community Health CIC", "{} Community Services CIC", "{} Health CIC"),
    "cic_shares": ("{} Healthcare CIC", "{} Care Partnership CIC"),
    "community_benefit_society": ("{} Health and Wellbeing Ltd", "{} Community Health Society"),
    "cooperative": ("{} Therapies Co-operative", "{} Nursing Co-operative"),
}


def spin_out_name(place: str, legal_form: str, variant: int) -> str:
    patterns = _RTR_PATTERNS[legal_form]
    return patterns[variant % len(patterns)].format(place)


COMPARATOR_KINDS = (
    "Community Nursing Service",
    "Community Health Services",
    "Community Therapies Unit",
    "Integrated Community Team",
    "Children's Community Health Service",
    "Adult Community Services",
    "Community Rehabilitation Unit",
    "Neighbourhood Health Team",
)
SOCIAL_COMPARATOR_KINDS = (
    "Looked-after Children Team",
    "Leaving Care Team",
    "Children in Care Service",
)


def unique_pairs(
    rng: np.random.Generator, places: list[str], kinds: tuple[str, ...], count: int
) -> list[str]:
    """``count`` distinct "place kind" names."""
    if count > len(places) * len(kinds):
        raise ValueError(f"cannot make {count} distinct names from the word lists")
    picks = rng.choice(len(places) * len(kinds), size=count, replace=False)
    return [f"{places[p // len(kinds)]} {kinds[p % len(kinds)]}" for p in picks]


_ALPHANUMERIC = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def _encode(numbers: np.ndarray, alphabet: np.ndarray, width: int) -> list[str]:
    base = len(alphabet)
    digits = [alphabet[(numbers // base**k) % base] for k in reversed(range(width))]
    return ["".join(chars) for chars in zip(*digits, strict=True)] if width else []


def ods_codes(rng: np.random.Generator, prefix: str, count: int, width: int) -> list[str]:
    """Distinct ODS-shaped codes: ``prefix`` then ``width`` letters or digits."""
    picks = rng.choice(len(_ALPHANUMERIC) ** width, size=count, replace=False)
    return [prefix + code for code in _encode(picks, _ALPHANUMERIC, width)]


def pct_codes(rng: np.random.Generator, count: int) -> list[str]:
    """Primary care trust codes shaped like "5QX": the digit 5 and two letters."""
    picks = rng.choice(len(_LETTERS) ** 2, size=count, replace=False)
    return ["5" + code for code in _encode(picks, _LETTERS, 2)]


def numbers(rng: np.random.Generator, low: int, high: int, count: int) -> np.ndarray:
    """``count`` distinct whole numbers in [low, high)."""
    return low + rng.choice(high - low, size=count, replace=False)
