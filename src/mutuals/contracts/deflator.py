"""The price index that turns providers' cash costs into the baseline's real prices.

The Green Book asks for appraisal in real base-year prices using the GDP
deflator. FACTS.md records no deflator series, so rather than quote figures
from memory this module *assumes* one: prices rise by :data:`DEFAULT_INFLATION`
(2% a year, the Bank of England's inflation target) in every financial year.
It is a documented assumption, not an official series: pass your own series
(financial year → index) to the savings service to use HM Treasury's published
GDP deflators instead. Only ratios of the index matter, so the reference year,
where the index is 100, is arbitrary.
"""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_INFLATION = 0.02
REFERENCE_YEAR = 2010


def assumed_deflator(
    years: Iterable[int],
    *,
    inflation: float = DEFAULT_INFLATION,
    reference_year: int = REFERENCE_YEAR,
) -> dict[int, float]:
    """Index = 100 × (1 + inflation)^(year − reference_year) for each financial year."""
    if not -1 < inflation < 1:
        raise ValueError(f"inflation is a yearly fraction such as 0.02 for 2%; got {inflation}")
    return {
        int(year): 100.0 * (1.0 + inflation) ** (int(year) - reference_year)
        for year in sorted(set(years))
    }
