"""Masking of personal numbers for lists and aggregated views, and in free text."""

from __future__ import annotations

import re

# In free text: a run of 15 to 18 characters (digits, the last may be X) is taken for a citizen ID
# number, 1[3-9] and nine digits for a mobile; never part of a longer run of digits.
ID_NUMBER_LIKE = re.compile(r"(?<![0-9])[0-9]{14,17}[0-9Xx](?![0-9A-Za-z])")
MOBILE_LIKE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def mask_id_number(value: str) -> str:
    """4521**********6648: region prefix and last four kept."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """138****8000"""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_personal_numbers(text: str) -> str:
    """Every ID or mobile number in `text` masked as lists show them: for logs, audit rows and job
    results, which may quote what people typed or named their files."""
    text = ID_NUMBER_LIKE.sub(lambda m: mask_id_number(m.group()), text)
    return MOBILE_LIKE.sub(lambda m: mask_phone(m.group()), text)
