"""The police adapter: missing-person incidents and the police response, from CSV exports."""

from __future__ import annotations

from agencies._common import POLICE_CHILD, cse_concerns
from agencies.police._incidents import INCIDENTS
from agencies.police._responses import DISRUPTIONS, LINKED_CRIMES, SAFE_AND_WELL

FORMATS = (
    INCIDENTS,
    SAFE_AND_WELL,
    DISRUPTIONS,
    LINKED_CRIMES,
    cse_concerns("police", "police intelligence export", POLICE_CHILD),
)
