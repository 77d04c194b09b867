"""Who may read what: the roles of the people who use the hub's read side, and what each allows.

One table, in one place, for the web service, its API and the CLI alike. A role is one of
``ROLES`` or ``agency:<agency>`` (an agency's data team: that agency's own rejects, imports and
notifications, and nothing of any child).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from contracts import AGENCIES


class Can(StrEnum):
    """What a request does, as the roles table names it."""

    FOI = "foi"  # disclosure-controlled FOI figures
    FOI_RAW = "foi_raw"  # FOI figures without disclosure control
    FORUM = "forum"  # the monthly forum pack: children under pseudonyms, raw counts
    TRENDS = "trends"
    RECONCILE = "reconcile"  # council and police records that disagree, by pseudonym
    PUBLISH = "publish"  # add an answer to the register of published figures
    REGISTER = "register"  # list and reproduce published figures
    AUDIT = "audit"
    USERS = "users"
    AGENCY = "agency"  # an agency's own rejects, imports and notifications


ROLES: dict[str, frozenset[Can]] = {
    "foi_officer": frozenset({Can.FOI, Can.PUBLISH, Can.REGISTER}),
    "analyst": frozenset(
        {Can.FOI, Can.FOI_RAW, Can.FORUM, Can.TRENDS, Can.RECONCILE, Can.REGISTER}
    ),
    "forum": frozenset({Can.FORUM, Can.TRENDS}),
    "auditor": frozenset({Can.AUDIT, Can.REGISTER}),
    "admin": frozenset({Can.USERS}),
}
AGENCY_ROLE = "agency:"
AGENCY_ALLOWS = frozenset({Can.AGENCY})

DESCRIPTIONS: dict[str, str] = {
    "foi_officer": "disclosure-controlled FOI figures; publishes and reproduces answers",
    "analyst": "raw figures, the forum pack, trends and reconciliation",
    "forum": "the monthly forum pack and trends",
    "auditor": "the audit of every read, and the register",
    "admin": "users",
    "agency:<agency>": "that agency's own rejects, imports and notifications",
}


def role_names() -> list[str]:
    return [*ROLES, *(f"{AGENCY_ROLE}{agency}" for agency in AGENCIES)]


def valid_role(role: str) -> bool:
    return role in ROLES or (
        role.startswith(AGENCY_ROLE) and role.removeprefix(AGENCY_ROLE) in AGENCIES
    )


def allows(role: str, can: Can) -> bool:
    if role in ROLES:
        return can in ROLES[role]
    return valid_role(role) and can in AGENCY_ALLOWS


def agency_of(role: str) -> str | None:
    """The agency an ``agency:<agency>`` role speaks for; None for every other role."""
    return role.removeprefix(AGENCY_ROLE) if valid_role(role) and role not in ROLES else None


@dataclass(frozen=True)
class User:
    """A person (or a script acting for one) known to the hub's read side."""

    name: str
    role: str
    disabled: bool = False
    must_change_password: bool = False

    @property
    def agency(self) -> str | None:
        return agency_of(self.role)

    def can(self, what: Can) -> bool:
        return not self.disabled and allows(self.role, what)


__all__ = [
    "AGENCY_ROLE",
    "DESCRIPTIONS",
    "ROLES",
    "Can",
    "User",
    "agency_of",
    "allows",
    "role_names",
    "valid_role",
]
