"""Masking of personal numbers for lists and aggregated views."""

from __future__ import annotations


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
