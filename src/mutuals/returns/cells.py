"""What a cell's text is, judged the same way by every importer, and how messages quote it.

Every importer (returns, organisations, contracts, the register, survey answers, OCDS)
names the cell it refuses and quotes what was typed. A quote is an excerpt: the first
:data:`EXCERPT_CHARACTERS` characters and an ellipsis, so that a 10 MB cell or a
100,000-character period cannot fill an error page, an API problem or a rejects file.

Formula text is what a spreadsheet would run (a leading ``=`` or ``@``, or a sign before
something that is not a number). ``-inf``, ``+Infinity`` and ``nan`` begin with a sign
too but are words for numbers, not formulas: they are refused as numbers that are not
finite, which is what is wrong with them.
"""

from __future__ import annotations

import re

import polars as pl

EXCERPT_CHARACTERS = 40
ELLIPSIS = "…"
# A leading =, + or - followed by something that is not a number, or a leading @:
# what spreadsheets execute as a formula when the file is opened.
FORMULA = r"^\s*(?:[=@]|[+\-](?:[^0-9.\s]|$))"
# The words Python, polars and spreadsheets read as infinite or not-a-number, any case.
NON_FINITE = r"^\s*[+\-]?(?i:inf|infinity|nan)\s*$"

_formula = re.compile(FORMULA)
_non_finite = re.compile(NON_FINITE)


def excerpt(text: object, limit: int = EXCERPT_CHARACTERS) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when something was cut."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + ELLIPSIS


def quoted(text: object) -> str:
    """A cell as a message shows it: an excerpt in single quotes."""
    return f"'{excerpt(text)}'"


def excerpt_expr(column: pl.Expr) -> pl.Expr:
    """:func:`excerpt` over a text column, for validators that build messages in polars."""
    cut = column.str.slice(0, EXCERPT_CHARACTERS) + pl.lit(ELLIPSIS)
    return pl.when(column.str.len_chars() > EXCERPT_CHARACTERS).then(cut).otherwise(column)


def is_formula(text: str) -> bool:
    """Whether a spreadsheet would run ``text`` as a formula (``-inf`` is a number word)."""
    return bool(_formula.match(text)) and not _non_finite.match(text)


def formula_expr(column: pl.Expr) -> pl.Expr:
    """:func:`is_formula` over a text column."""
    return column.str.contains(FORMULA) & ~column.str.contains(NON_FINITE)


def is_non_finite_word(text: str) -> bool:
    """Whether ``text`` is ``inf``, ``-Infinity``, ``NaN`` or the like."""
    return bool(_non_finite.match(text))


def formula_problem(text: str, what: str = "value") -> str:
    return f"{quoted(text)} looks like a spreadsheet formula: enter the {what} itself"


def not_finite_problem(text: str) -> str:
    return f"{quoted(text)} is not a finite number: enter the number itself"
