"""AI errors with a message a founder can act on (never a stack trace or a key)."""

from __future__ import annotations


class AIError(Exception):
    """Base class: `str(err)` is safe to show to the user."""

    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AIAuthError(AIError):
    kind = "auth"


class AIQuotaError(AIError):
    """The provider refused for quota or rate-limit reasons."""

    kind = "quota"


class AITimeoutError(AIError):
    kind = "timeout"


class AIUnavailableError(AIError):
    kind = "unavailable"


class AIOutputError(AIError):
    """The model's answer did not match the schema, even after one repair call."""

    kind = "output"


class AllowanceExceededError(AIError):
    """The user's monthly AI allowance for their plan is used up."""

    kind = "allowance"


class NotFoundError(AIError):
    """The business/strategy/post does not exist or belongs to someone else."""

    kind = "not_found"
