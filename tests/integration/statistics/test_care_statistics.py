"""Return interviews, UASC, costs and child protection plans."""

from __future__ import annotations

from typing import Any

from tests.history import History, child

NO_FINDINGS = {
    "harmed_physically": False,
    "sexually_assaulted_or_exploited": False,
    "drugs_sale": False,
    "criminal_activity": False,
}


def findings(**true: bool) -> dict[str, bool]:
    return {**NO_FINDINGS, **true}


def interview(history: History, ref: str, kind: str, when: str, **payload: Any) -> None:
    history.event(f"return_interview.{kind}", when, child=child(1), episode_ref=ref, **payload)


def test_return_interview_findings_of_looked_after_children_found(history: History) -> None:
    c = child(1)
    history.event("care.period_started", "2017-01-01T09:00:00+00:00", child=c)
    # E1: completed 48 h after being found, two findings.
    history.episode("E1", "2017-05-01T10:00:00+00:00", c, found="2017-05-02T10:00:00+00:00")
    interview(history, "E1", "offered", "2017-05-02T12:00:00+00:00")
    interview(
        history,
        "E1",
        "completed",
        "2017-05-04T10:00:00+00:00",
        findings=findings(sexually_assaulted_or_exploited=True, drugs_sale=True),
    )
    # E2: completed 80 h after: completed, not within 72 h.
    history.episode("E2", "2017-06-01T10:00:00+00:00", c, found="2017-06-01T20:00:00+00:00")
    interview(
        history,
        "E2",
        "completed",
        "2017-06-05T04:00:00+00:00",
        findings=findings(harmed_physically=True),
    )
    # E3: declined: offered only.
    history.episode("E3", "2017-07-01T10:00:00+00:00", c, found="2017-07-01T12:00:00+00:00")
    interview(history, "E3", "declined", "2017-07-02T10:00:00+00:00")
    # E4: not found: not counted at all.
    history.episode("E4", "2017-08-01T10:00:00+00:00", c)
    # E5: found, but the child is not looked after.
    history.episode("E5", "2017-08-01T10:00:00+00:00", child(2), found="2017-08-02T10:00:00+00:00")
    # E6: found, no interview offered.
    history.episode("E6", "2017-09-01T10:00:00+00:00", c, found="2017-09-01T11:00:00+00:00")

    assert history.figures("return-interview-findings", "2017/18") == {
        "found": 4,
        "offered": 3,
        "completed": 2,
        "completed_within_72h": 1,
        "harmed_physically": 1,
        "sexually_assaulted_or_exploited": 1,
        "drugs_sale": 1,
        "criminal_activity": 0,
        "orphans": 0,
    }


def test_uasc_looked_after_at_any_moment_in_the_period(history: History) -> None:
    a, b, c, d = child(1), child(2), child(3), child(4)
    # A: UASC in care until May 2017: in 2016/17 and 2017/18.
    history.event("care.period_started", "2016-06-01T09:00:00+00:00", child=a, uasc=True)
    history.event("care.period_ended", "2017-05-01T09:00:00+00:00", child=a)
    # B: in care from June 2017, UASC only from January 2018.
    history.event("care.period_started", "2017-06-01T09:00:00+00:00", child=b, uasc=False)
    history.event("care.uasc_status_changed", "2018-01-01T09:00:00+00:00", child=b, uasc=True)
    # C: from 00:30 BST on 1 April 2018: 2018/19 only.
    history.event("care.period_started", "2018-03-31T23:30:00+00:00", child=c, uasc=True)
    # D: left care at midnight BST as 2017/18 began: 2016/17 only.
    history.event("care.period_started", "2016-09-01T09:00:00+00:00", child=d, uasc=True)
    history.event("care.period_ended", "2017-03-31T23:00:00+00:00", child=d)

    assert history.figures("uasc-looked-after", "2016/17") == {"total": 2}  # A, D
    assert history.figures("uasc-looked-after", "2017/18") == {"total": 2}  # A, B
    assert history.figures("uasc-looked-after", "2018/19") == {"total": 2}  # B, C
    assert history.figures("uasc-looked-after", "2017-12") == {"total": 0}


def cost(history: History, who: dict[str, Any], service: str, amount: str, start: str) -> None:
    history.event(
        "cost.recorded",
        f"{start}T09:00:00+00:00",
        child=who,
        service=service,
        amount_gbp=amount,
        period_start=start,
        period_end=start,
    )


def test_highest_cost_sums_one_child_across_linked_records(history: History) -> None:
    one, two, three = child(1), child(2, nhs=False), child(3, nhs=False)
    cost(history, one, "placement", "3000.00", "2017-04-01")
    cost(history, one, "semi_independent", "1000.50", "2017-05-01")
    cost(history, two, "placement", "2500.00", "2017-06-01")
    cost(history, three, "placement", "2000.00", "2017-06-01")
    cost(history, three, "semi_independent", "1500.25", "2018-03-31")
    cost(history, one, "placement", "9999.00", "2018-04-01")  # next year
    assert history.figures("highest-cost", "2017/18") == {
        "all_services": 4000.50,
        "semi_independent": 1500.25,
    }

    history.event("identity.linked", "2019-01-01T09:00:00+00:00", child=two, other=three)

    assert history.figures("highest-cost", "2017/18") == {
        "all_services": 6000.25,
        "semi_independent": 1500.25,
    }


def test_cp_repeat_plans(history: History) -> None:
    def plan(who: dict[str, Any], ref: str, when: str) -> None:
        history.event("cp.plan_started", f"{when}T09:00:00+00:00", child=who, plan_ref=ref)

    plan(child(1), "P1", "2015-01-01")
    plan(child(1), "P2", "2017-06-01")  # a second plan
    plan(child(2), "P3", "2017-07-01")  # a first plan
    plan(child(3), "P4", "2017-08-01")
    plan(child(3), "P5", "2017-09-01")  # both in the period: the child has a repeat plan
    plan(child(4), "P6", "2018-05-01")  # next year

    assert history.figures("cp-repeat-plans", "2017/18") == {
        "total": 3,
        "second_or_subsequent": 2,
        "percent": 66.7,
    }
    # A year between plans: none started, so no percentage.
    assert history.figures("cp-repeat-plans", "2016/17") == {
        "total": 0,
        "second_or_subsequent": 0,
        "percent": None,
    }
    # A year after the last plan held: no records, not zeros.
    later = history.ask("cp-repeat-plans", "2019/20")
    assert later["records_held"] == {
        "held": False,
        "reason": "no records held for 1 April 2019 to 31 March 2020: the child protection"
        " plans (cp.plan_started) held end on 1 May 2018",
    }
    assert {cell["value"] for cell in later["figures"].values()} == {None}
