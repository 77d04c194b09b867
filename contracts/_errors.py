"""The contract's one exception.

ContractViolation  -- raised when a message is not a valid v1 event; its text is the reason.
"""

from __future__ import annotations


class ContractViolation(ValueError):
    """Raised when a message is not a valid v1 event. ``str(error)`` is a value-free reason."""
