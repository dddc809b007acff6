"""The error a service raises when it refuses a request; the API maps it to a 4xx."""

from __future__ import annotations


class Refused(Exception):
    """A request the rules refuse, with a message a person can act on."""

    def __init__(self, message: str, *, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class Invalid(Refused):
    """Data that fails validation; `problems` says what, where, and how to fix it."""

    def __init__(self, message: str, *, problems: list) -> None:
        super().__init__(message, code="invalid", status=400)
        self.problems = problems
