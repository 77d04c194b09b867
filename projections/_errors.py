"""The projections' exceptions::

ProjectionError
├── BadArgument        a statistic, period or as-of the caller gave is not understood
└── NotAllowed         the caller's role may not see what was asked (e.g. raw small counts)
"""

from __future__ import annotations

from contracts import HubError


class ProjectionError(HubError):
    """Raised for every failure the projections report."""


class BadArgument(ProjectionError):
    """Raised when a statistic, period or as-of time is not understood."""


class NotAllowed(ProjectionError):
    """Raised when the caller's role does not allow what was asked."""
