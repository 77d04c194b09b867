"""The read side, for a person: every answer checked against their role and audited.

The web service, its API and the CLI all read through here, so each rule is in one place:
who may see what (``hub.domain.people``), which answers are disclosure-controlled, that every
read is recorded in the audit (with the answer's digest, never a child's details), and that
every public answer is checked against those already given (differencing).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

import orjson

import projections
from hub.domain.people import Can, User
from hub.service import queries
from hub.service.audit import AuditLog
from hub.service.ports import Store
from hub.service.register import GivenAnswers, Register

_MONTH = re.compile(r"\d{4}-\d{2}")


class Reading:
    def __init__(
        self,
        store: Store,
        projection: Callable[[], projections.ProjectionStore],
        audit: AuditLog,
        register: Register,
        given: GivenAnswers,
        *,
        threshold: int = 5,
        refresh: Callable[[projections.ProjectionStore], object] | None = None,
    ) -> None:
        """``projection`` opens the projection database; one is kept per thread (a SQLite
        connection serves one thread). ``refresh`` brings it up to date before each read (the
        CLI catches up itself; the web service reads what the projector has written)."""
        self.store = store
        self._open_projection = projection
        self.audit_log = audit
        self.register = register
        self.given = given
        self.threshold = threshold
        self._refresh = refresh
        self._local = threading.local()
        self._public = threading.Lock()

    # What anyone signed in may see.

    def statistics(self) -> list[dict[str, str]]:
        return [
            {
                "name": stat.name,
                "title": getattr(stat, "title", stat.name),
                "definition": stat.definition,
            }
            for stat in projections.STATISTICS.values()
        ]

    def record(self, user: User, action: str, what: Mapping[str, Any], outcome: str = "ok") -> None:
        """A page view, a sign-in, a refusal: whatever the caller read or was refused."""
        self.audit_log.record(user, action, what, outcome=outcome)

    # FOI figures.

    def foi(
        self,
        user: User,
        statistic: str,
        period: str,
        *,
        as_of: str | None = None,
        suppress: bool = True,
        by: str | None = None,
    ) -> dict[str, Any]:
        what = {"statistic": statistic, "period": period, "as_of": as_of, "by": by}
        what["suppression"] = "on" if suppress else "off"
        self._allow(user, Can.FOI, "foi", what)
        if not suppress:
            self._allow(user, Can.FOI_RAW, "foi", what)
        # An answer to someone who may not see raw figures is public: it is checked against
        # the public answers already given, and remembered for the next.
        public = suppress and not user.can(Can.FOI_RAW)
        result = self._answer(statistic, period, as_of, suppress=suppress, by=by, public=public)
        self.audit_log.record(user, "foi", what, digest=_digest_of(result))
        return result

    def _answer(
        self,
        statistic: str,
        period: str,
        as_of: str | None,
        *,
        suppress: bool,
        by: str | None = None,
        public: bool = True,
        given_before: dt.datetime | None = None,
        remember: bool = True,
    ) -> dict[str, Any]:
        if public and remember:
            # Checked against the answers given, computed, and remembered as one step, so two
            # public answers at once cannot each miss the other (within this process; the
            # CLI's are one at a time).
            with self._public:
                return self._answered(
                    statistic, period, as_of, suppress, by, True, given_before, True
                )
        return self._answered(statistic, period, as_of, suppress, by, public, given_before, False)

    def _answered(
        self,
        statistic: str,
        period: str,
        as_of: str | None,
        suppress: bool,
        by: str | None,
        public: bool,
        given_before: dt.datetime | None,
        remember: bool,
    ) -> dict[str, Any]:
        projection = self._projection()
        moment = projections.parse_as_of(as_of) if as_of else None
        given = self.given.of(statistic, given_before) if public else []
        options: dict[str, Any] = {
            "as_of": moment,
            "suppress": suppress,
            "threshold": self.threshold,
            "given": given,
        }
        if by is None:
            result, raw = projections.answer_with_raw(
                projection, statistic, projections.parse_period(period), **options
            )
            raws = [(result, raw)]
        else:
            periods = projections.parse_periods(period, by)
            result, many = projections.answers_with_raw(
                projection, statistic, periods, by=by, **options
            )
            raws = list(zip(result["answers"], many, strict=True))
        if public and remember:
            for one, raw in raws:
                self.given.remember(raw, one["provenance"]["digest"])
        return result

    # The partnership's packs.

    def forum(
        self, user: User, month: str, *, threshold: int = 3, window_days: int = 90
    ) -> dict[str, Any]:
        what = {"month": month, "threshold": threshold, "window_days": window_days}
        self._allow(user, Can.FORUM, "forum", what)
        pack = self._forum(self._projection(), month, threshold, window_days)
        self.audit_log.record(user, "forum", what, digest=_digest(pack))
        return pack

    def forum_page(
        self, user: User, month: str, *, threshold: int = 3, window_days: int = 90
    ) -> str:
        """The printable pack, with its chart of the twelve months to its month."""
        what = {"month": month, "threshold": threshold, "window_days": window_days}
        self._allow(user, Can.FORUM, "forum.page", what)
        projection = self._projection()
        with projection.reading():  # the pack and its chart from one position
            pack = self._forum(projection, month, threshold, window_days)
            year = projections.trends(
                projection,
                *projections.year_ending(month),
                threshold=threshold,
                window_days=window_days,
            )
        self.audit_log.record(user, "forum.page", what, digest=_digest(pack))
        return projections.render_forum(pack, "html", trends=year)

    def _forum(
        self, projection: projections.ProjectionStore, month: str, threshold: int, window_days: int
    ) -> dict[str, Any]:
        if not _MONTH.fullmatch(month):
            raise projections.BadArgument(f"month {month!r}: give a month as YYYY-MM, e.g. 2018-03")
        _check_repeat(threshold, window_days)
        return projections.forum(
            projection,
            projections.parse_period(month),
            key=queries.forum_key(self.store),
            threshold=threshold,
            window_days=window_days,
        )

    def trends(
        self, user: User, first: str, last: str, *, threshold: int = 3, window_days: int = 90
    ) -> dict[str, Any]:
        what = {"from": first, "to": last, "threshold": threshold, "window_days": window_days}
        self._allow(user, Can.TRENDS, "trends", what)
        for month in (first, last):
            if not _MONTH.fullmatch(month):
                raise projections.BadArgument(
                    f"month {month!r}: give a month as YYYY-MM, e.g. 2018-03"
                )
        _check_repeat(threshold, window_days)
        data = projections.trends(
            self._projection(), first, last, threshold=threshold, window_days=window_days
        )
        self.audit_log.record(user, "trends", what, digest=_digest(data))
        return data

    def reconcile(self, user: User, period: str, as_of: str | None = None) -> dict[str, Any]:
        what = {"period": period, "as_of": as_of}
        self._allow(user, Can.RECONCILE, "reconcile", what)
        data = projections.unmatched(
            self._projection(),
            projections.parse_period(period),
            key=queries.forum_key(self.store),
            as_of=projections.parse_as_of(as_of) if as_of else None,
        )
        self.audit_log.record(user, "reconcile", what, digest=_digest(data))
        return data

    # An agency's own.

    def rejects(self, user: User) -> list[dict[str, Any]]:
        self._allow(user, Can.AGENCY, "agency.rejects", {"agency": user.agency})
        rows = queries.rejects(self.store, user.agency)
        self.audit_log.record(user, "agency.rejects", {"agency": user.agency, "rows": len(rows)})
        return rows

    def agency_status(self, user: User) -> dict[str, Any]:
        self._allow(user, Can.AGENCY, "agency.status", {"agency": user.agency})
        assert user.agency is not None  # the role says so
        status = projections.agency_summary(self._projection(), user.agency)
        status["rejected"] = len(queries.rejects(self.store, user.agency))
        self.audit_log.record(user, "agency.status", {"agency": user.agency})
        return status

    # The audit.

    def audit(self, user: User, since: dt.datetime | None = None) -> dict[str, Any]:
        what = {"since": since}
        self._allow(user, Can.AUDIT, "audit", what)
        entries = [entry.as_dict() for entry in self.audit_log.entries(since)]
        problems = self.audit_log.verify()
        head = self.audit_log.head()
        self.audit_log.record(user, "audit", what)
        return {
            "entries": entries,
            "chain": {"intact": not problems, "problems": problems, "head": list(head)},
        }

    # The register of published figures.

    def publish(
        self, user: User, reference: str, statistic: str, period: str, as_of: str | None
    ) -> dict[str, Any]:
        what = {"reference": reference, "statistic": statistic, "period": period, "as_of": as_of}
        self._allow(user, Can.PUBLISH, "published.add", what)
        answer = self._answer(statistic, period, as_of, suppress=True)
        publication = self.register.add(reference, answer, user)
        self.audit_log.record(user, "published.add", what, digest=publication.digest)
        return publication.as_dict()

    def published(self, user: User) -> list[dict[str, Any]]:
        self._allow(user, Can.REGISTER, "published.list", {})
        rows = [p.as_dict() for p in self.register.list()]
        self.audit_log.record(user, "published.list", {"rows": len(rows)})
        return rows

    def publication(self, user: User, reference: str) -> dict[str, Any]:
        self._allow(user, Can.REGISTER, "published.get", {"reference": reference})
        publication = self.register.get(reference)
        self.audit_log.record(
            user, "published.get", {"reference": reference}, digest=publication.digest
        )
        return publication.as_dict()

    def reproduce(self, user: User, reference: str) -> dict[str, Any]:
        self._allow(user, Can.REGISTER, "published.reproduce", {"reference": reference})

        public = not user.can(Can.FOI_RAW)

        def recompute(
            statistic: str, period: str, as_of: str | None, before: dt.datetime | None
        ) -> dict[str, Any]:
            # As published: checked against what had been given then, and not given anew.
            # As the records stand now: a new answer to this reader, checked and remembered
            # like any other, so that it cannot be differenced against a later one.
            return self._answer(
                statistic,
                period,
                as_of,
                suppress=True,
                public=public or before is not None,
                given_before=before,
                remember=before is None,
            )

        result = self.register.reproduce(reference, recompute)
        self.audit_log.record(
            user,
            "published.reproduce",
            {"reference": reference, "matches": result["matches"]},
            digest=result["digest_reproduced"],
        )
        return result

    # Helpers.

    def _allow(self, user: User, can: Can, action: str, what: Mapping[str, Any]) -> None:
        if not user.can(can):
            self.audit_log.record(user, action, what, outcome="refused")
            raise projections.NotAllowed(
                f"the {user.role} role may not do this ({action}); ask the partnership's"
                " administrator if you need it"
            )

    def _projection(self) -> projections.ProjectionStore:
        store: projections.ProjectionStore | None = getattr(self._local, "projection", None)
        if store is None:
            store = self._local.projection = self._open_projection()
        if self._refresh is not None:
            self._refresh(store)
        return store


def _check_repeat(threshold: int, window_days: int) -> None:
    if threshold < 1 or window_days < 1:
        raise projections.BadArgument("threshold and window_days must be at least 1")


def _digest(data: Any) -> str:
    canonical = orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def _digest_of(result: dict[str, Any]) -> str:
    """An FOI answer's own provenance digest; for several periods, a digest of theirs."""
    if "answers" in result:
        return _digest([a["provenance"]["digest"] for a in result["answers"]])
    return str(result["provenance"]["digest"])


__all__ = ["Reading"]
