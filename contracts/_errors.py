"""The root of every exception the hub's packages raise, and the contract's own one.

``HubError`` is defined here, in the package every other one depends on, so that the
contract's, the agencies', the hub's and the projections' errors share one root without an
import cycle (the tree as a whole is drawn in ``hub.errors``).

ContractViolation  -- raised when a message is not a valid v1 event; its text is the reason.
"""

from __future__ import annotations


class HubError(Exception):
    """Raised for every failure the hub's packages report; ``str(error)`` is for people."""


class ContractViolation(HubError, ValueError):
    """Raised when a message is not a valid v1 event. ``str(error)`` is a value-free reason."""
