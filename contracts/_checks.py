"""Check digits and value types that the contract's fields are built from.

Error messages never repeat the value they reject: rejects are shown to people whose role may not
allow them to see a child's identifiers.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, StringConstraints

# DfE's UPN check-letter alphabet: remainders 0..22 (I, O and S are never used).
_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_MONEY = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,2})?$")


def nhs_number_is_valid(value: str) -> bool:
    """Modulus 11 check of a 10-digit NHS number."""
    if len(value) != 10 or not value.isascii() or not value.isdigit():
        return False
    # Unrolled: this runs for every message the hub receives.
    d = value.encode()
    total = (
        10 * d[0]
        + 9 * d[1]
        + 8 * d[2]
        + 7 * d[3]
        + 6 * d[4]
        + 5 * d[5]
        + 4 * d[6]
        + 3 * d[7]
        + 2 * d[8]
        - 54 * 48
    )
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(value[9])


def upn_check_letter(body: str) -> str:
    """The check letter for the last 12 characters of a UPN (DfE algorithm, weights 2..13)."""
    total = 0
    for weight, char in enumerate(body, start=2):
        total += weight * (int(char) if char.isdigit() else _UPN_LETTERS.index(char))
    return _UPN_LETTERS[total % 23]


def upn_is_valid(value: str) -> bool:
    """A 13-character Unique Pupil Number whose first character is its check letter.

    Characters 2-12 are digits; character 13 is a digit, or a letter for a temporary UPN.
    """
    if len(value) != 13 or not value.isascii():
        return False
    head, digits, last = value[0], value[1:12], value[12]
    if not digits.isdigit() or not (last.isdigit() or last in _UPN_LETTERS):
        return False
    return head == upn_check_letter(value[1:])


def _nhs_number(value: str) -> str:
    if not nhs_number_is_valid(value):
        raise ValueError("NHS number must be 10 digits with a valid Modulus 11 check digit")
    return value


def _upn(value: str) -> str:
    if not upn_is_valid(value.upper()):
        raise ValueError("UPN must be 13 characters with a valid check letter")
    return value.upper()


def _money(value: object) -> Decimal:
    if not isinstance(value, str) or not _MONEY.match(value):
        raise ValueError('amount must be a decimal string in pounds, e.g. "1250.00"')
    try:
        amount = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes it
        raise ValueError("amount must be a decimal string") from None
    if amount <= 0:
        raise ValueError("amount must be greater than zero")
    return amount


NhsNumber = Annotated[str, AfterValidator(_nhs_number)]
Upn = Annotated[str, AfterValidator(_upn)]
Money = Annotated[Decimal, BeforeValidator(_money)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)]
Ref = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
PostcodeDistrict = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{1,2}[0-9][0-9A-Za-z]?$", to_upper=True),
]
