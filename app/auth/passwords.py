"""argon2 password hashing (argon2-cffi), with cost parameters from the app config."""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hashers: dict[tuple[int, int], PasswordHasher] = {}
#: A hash of a random string, verified when the username does not exist so timing matches.
_DUMMY: dict[tuple[int, int], str] = {}


def _hasher(time_cost: int, memory_cost: int) -> PasswordHasher:
    key = (time_cost, memory_cost)
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)
    return _hashers[key]


def hash_password(password: str, time_cost: int = 3, memory_cost: int = 65536) -> str:
    return _hasher(time_cost, memory_cost).hash(password)


def verify_password(stored_hash: str | None, password: str, time_cost: int = 3, memory_cost: int = 65536) -> bool:
    """True when `password` matches; with no stored hash, burn the same time and return False."""
    hasher = _hasher(time_cost, memory_cost)
    if stored_hash is None:
        key = (time_cost, memory_cost)
        if key not in _DUMMY:
            _DUMMY[key] = hasher.hash("not-a-real-password")
        stored_hash = _DUMMY[key]
        with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
            hasher.verify(stored_hash, password)
        return False
    try:
        return hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
