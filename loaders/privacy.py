"""Keyed pseudonyms for people: stable across releases, not reversible without the secret.

A staff member appears as ``/id/staff/{pseudonym}``, where the pseudonym is
HMAC-SHA256(ministry secret, personal number) cut to 20 hex digits (80 bits). The same
person gets the same pseudonym in every release as long as the ministry keeps its secret;
without the secret nobody can compute a pseudonym from a personal number or invert one.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd

# Used only when no secret is configured (the demo); a build says so loudly.
DEMO_SECRET = "emis-lod demo secret: set EMIS_LOD_STAFF_SECRET in production"
DIGITS = 20


def pseudonym(value: str, secret: bytes) -> str:
    # hmac.digest: the one-shot C path, three times hmac.new's speed for a million staff ids
    return hmac.digest(secret, value.encode("utf-8"), hashlib.sha256).hex()[:DIGITS]


def pseudonymise(values: pd.Series, secret: bytes) -> pd.Series:
    """The pseudonym of every value (NA stays NA); each distinct value is hashed once."""
    table = {v: pseudonym(v, secret) for v in values.dropna().unique()}
    return values.map(table).astype("string")
