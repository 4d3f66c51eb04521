"""Mask ID-card and phone numbers before anything a citizen typed is stored.

Transcripts and unanswered-question logs are read by staff and kept for months; they
must not become a list of identity numbers. Masking keeps the first and last digits so
staff can still tell two numbers apart when helping the same person.
"""

from __future__ import annotations

import re

# 18-digit resident ID (last may be X) and old 15-digit IDs; not inside longer digit runs.
_ID18 = re.compile(r"(?<![0-9])([1-9][0-9]{3})[0-9]{10}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<![0-9])([1-9][0-9]{3})[0-9]{8}([0-9]{3})(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?(1[3-9][0-9])[- ]?[0-9]{4}[- ]?([0-9]{4})(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9A-Za-z-])(0[0-9]{2,3})-([0-9]{3,4})[0-9]{4}(?![0-9])")


def mask(text: str) -> str:
    """The text with ID numbers as 5132**********123X and phones as 138****5678."""
    text = _ID18.sub(lambda m: f"{m[1]}{'*' * 10}{m[2]}", text)
    text = _ID15.sub(lambda m: f"{m[1]}{'*' * 8}{m[2]}", text)
    text = _MOBILE.sub(lambda m: f"{m[1]}****{m[2]}", text)
    return _LANDLINE.sub(lambda m: f"{m[1]}-{m[2]}****", text)
