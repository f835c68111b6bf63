"""The pure outcome -> status mapping: observedGeneration, and transition times that stay put."""

from __future__ import annotations

from reconciler.operator.status import Result, conditions_for, status_for

T0, T1 = "2026-11-27T10:00:00Z", "2026-11-27T11:00:00Z"


def test_a_condition_keeps_its_time_until_its_status_changes() -> None:
    ready = Result("Ready", "InSync", "in sync", ready=True)
    first = conditions_for(ready, None, T0)
    assert [(c["type"], c["status"], c["lastTransitionTime"]) for c in first] == [
        ("Ready", "True", T0),
        ("Reconciling", "False", T0),
        ("Stalled", "False", T0),
        ("Drifted", "False", T0),
    ]
    again = conditions_for(Result("Ready", "Applied", "applied 1", ready=True), first, T1)
    assert [c["lastTransitionTime"] for c in again] == [T0, T0, T0, T0]
    assert again[0]["reason"] == "Applied"  # reason and message follow the latest run
    blocked = conditions_for(Result("Blocked", "Blocked", "no", stalled=True), again, T1)
    assert {c["type"]: c["lastTransitionTime"] for c in blocked} == {
        "Ready": T1,
        "Reconciling": T0,
        "Stalled": T1,
        "Drifted": T0,
    }
    drifted = conditions_for(
        Result("Ready", "InSync", "in sync", ready=True, drift="1 object"), blocked, T1
    )
    cond = next(c for c in drifted if c["type"] == "Drifted")
    assert (cond["status"], cond["reason"], cond["message"]) == ("True", "SchemaDrift", "1 object")


def test_status_for_carries_generation_keeps_last_applied_and_takes_fields() -> None:
    prev = {"lastApplied": {"planHash": "a"}, "phase": "Ready", "conditions": []}
    r = Result("AwaitingApproval", "AwaitingApproval", "needs 2", fields={"planHash": "b"})
    st = status_for(r, prev, generation=7, now=T0, extra={"trigger": "update"})
    assert st["observedGeneration"] == 7 and st["phase"] == "AwaitingApproval"
    assert st["lastApplied"] == {"planHash": "a"} and st["planHash"] == "b"
    assert st["trigger"] == "update" and len(st["conditions"]) == 4
    applied = Result(
        "Ready", "Applied", "ok", ready=True, fields={"lastApplied": {"planHash": "c"}}
    )
    assert status_for(applied, st, generation=7, now=T1)["lastApplied"] == {"planHash": "c"}
