"""Append-only audit log of state changes, score changes, evidence changes and admin logins."""
