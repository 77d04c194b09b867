"""The local authority adapter: the SSDA903 return, and CSV formats for what it lacks."""

from __future__ import annotations

from agencies._common import LA_CHILD, cse_concerns
from agencies.local_authority._records import (
    ALERTS,
    ALLOCATIONS,
    COSTS,
    CP_PLANS,
    CSE_CASES,
    IDENTITY_LINKS,
    INVESTIGATIONS,
    RETURN_INTERVIEWS,
    SYSTEM,
)
from agencies.local_authority.ssda903 import SSDA903

FORMATS = (
    SSDA903,
    RETURN_INTERVIEWS,
    ALERTS,
    INVESTIGATIONS,
    CSE_CASES,
    ALLOCATIONS,
    CP_PLANS,
    COSTS,
    IDENTITY_LINKS,
    cse_concerns("local_authority", SYSTEM, LA_CHILD),
)
