"""Domain errors raised by services; views turn them into HTTP responses."""

from __future__ import annotations


class DomainError(Exception):
    """Base class. `message` is already translated for the user."""

    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class InvalidTransition(DomainError):
    status_code = 409


class Conflict(DomainError):
    status_code = 409


class ValidationFailed(DomainError):
    """Input that cannot be accepted; `errors` maps a field name to its messages."""

    status_code = 422

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.errors = errors or {}
