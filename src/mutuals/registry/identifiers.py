"""Formats of the identifiers organisations carry, and their validators.

The patterns are deliberately about shape only; they cannot tell whether a
code was ever issued.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# NHS Organisation Data Service codes: 3 to 5 upper-case letters and digits
# (trusts such as "RX1", sites and commissioners such as "00T", "NLX01").
ODS_CODE = re.compile(r"^[A-Z0-9]{3,5}$")
# Companies House: 8 digits, or a 2-letter register prefix and 6 digits
# (SC for Scotland, NI, OC for LLPs, RS/IP for registered societies, ...).
COMPANY_NUMBER = re.compile(r"^(?:\d{8}|[A-Z]{2}\d{6})$")
# Charity Commission for England and Wales: 6 to 7 digits, with an optional
# "-N" suffix for linked charities; Scottish charities: SC and 6 digits.
CHARITY_NUMBER = re.compile(r"^(?:\d{6,7}(?:-\d{1,2})?|SC\d{6})$")


def validate_ods_code(value: str) -> None:
    if not ODS_CODE.match(value):
        raise ValidationError(
            f"'{value}' is not an NHS ODS code: use 3 to 5 capital letters or digits, like RX1",
            code="ods_code",
        )


def validate_company_number(value: str) -> None:
    if not COMPANY_NUMBER.match(value):
        raise ValidationError(
            f"'{value}' is not a Companies House number: use 8 digits, or 2 capital letters "
            "and 6 digits, like 07123456 or RS007123",
            code="company_number",
        )


def validate_charity_number(value: str) -> None:
    if not CHARITY_NUMBER.match(value):
        raise ValidationError(
            f"'{value}' is not a charity number: use 6 or 7 digits (optionally -1), "
            "or SC and 6 digits",
            code="charity_number",
        )
