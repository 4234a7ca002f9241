"""What a ballot's log must hold at each stage, so that its status and its log agree.

The steps come in one order, each once: create, freeze, open, close, tally. Casts come
between the open and the close; nothing but the tally follows the close. A ballot's status
is the last step its log records, so a ballot marked closed with no close entry had its
status changed in the database or its close entry cut from the end of the log (which the
sealed head shows as well), and a ballot marked open with a close entry had its status set
back.
"""

from __future__ import annotations

from mutuals.governance.models import Ballot, BallotEvent, BallotStatus

STEPS = ("create", "freeze", "open", "close", "tally")
STEP_OF_STATUS = {
    BallotStatus.DRAFT: "create",
    BallotStatus.FROZEN: "freeze",
    BallotStatus.OPEN: "open",
    BallotStatus.CLOSED: "close",
    BallotStatus.TALLIED: "tally",
}
MARKED = {
    BallotStatus.DRAFT: "a draft",
    BallotStatus.FROZEN: "frozen",
    BallotStatus.OPEN: "open",
    BallotStatus.CLOSED: "closed",
    BallotStatus.TALLIED: "published",
}


def problems(ballot: Ballot, events: list[BallotEvent]) -> list[str]:
    """Where the ballot's status and its log's steps disagree, in words; ``events`` in
    sequence order."""
    return _status_problems(ballot, events) + _order_problems(events)


def _status_problems(ballot: Ballot, events: list[BallotEvent]) -> list[str]:
    status = BallotStatus(ballot.status)
    reached = STEPS.index(STEP_OF_STATUS[status])
    steps = _first_of_each_step(events)
    missing = [step for step in STEPS[: reached + 1] if step not in steps]
    later = [step for step in STEPS[reached + 1 :] if step in steps]
    marked = f"the ballot is marked {MARKED[status]}"
    found = []
    if missing:
        ends = f"ends at entry #{events[-1].sequence} ({events[-1].kind})" if events else "is empty"
        found.append(
            f"{marked}, but its log has no {' or '.join(missing)} entry: the log {ends}, so its "
            "status was changed in the database or entries were removed from the end of its log"
        )
    if later:
        listed = " and ".join(f"a {step} entry (#{steps[step].sequence})" for step in later)
        found.append(f"{marked}, but its log has {listed}: its status was changed in the database")
    return found


def _first_of_each_step(events: list[BallotEvent]) -> dict[str, BallotEvent]:
    steps: dict[str, BallotEvent] = {}
    for event in events:
        steps.setdefault(event.kind, event)
    return steps


def _order_problems(events: list[BallotEvent]) -> list[str]:
    """Entries out of their place: a step repeated or before one it should follow, a cast
    outside voting, anything the log never records."""
    found, seen = [], {}
    for event in events:
        name = f"log entry #{event.sequence} ({event.kind})"
        if event.kind == "cast":
            if "open" not in seen:
                found.append(f"{name} comes before the ballot opened")
            elif "close" in seen:
                found.append(
                    f"{name} comes after the close entry (#{seen['close'].sequence}): nothing "
                    "but the tally may follow the close"
                )
        elif event.kind not in STEPS:
            found.append(f"{name} is not a step a ballot's log records")
        elif event.kind in seen:
            found.append(
                f"{name} repeats entry #{seen[event.kind].sequence}: a ballot takes each step once"
            )
        else:
            after = [step for step in STEPS[STEPS.index(event.kind) + 1 :] if step in seen]
            if after:
                found.append(
                    f"{name} comes after the {after[0]} entry (#{seen[after[0]].sequence}): "
                    "the steps go create, freeze, open, close, tally"
                )
            seen[event.kind] = event
    return found
