"""The submission state machine, in one place: which action moves which state to which, and who may do it.

Pure Python (no Flask, no database): `transition(status, action, role)` returns the new status or raises
`IllegalTransition` with a reason code. Services call it before changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass

STATES = ("draft", "submitted", "in_review", "returned", "resubmitted", "approved", "rejected", "recognised")
#: States in which the city is reviewing (the official cannot edit).
UNDER_REVIEW = ("submitted", "in_review", "resubmitted")
#: States after which nothing changes without an admin reopening.
LOCKED = ("approved", "rejected", "recognised")


@dataclass(frozen=True)
class Rule:
    action: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]


RULES = (
    Rule("submit", ("draft",), "submitted", ("official",)),
    Rule("start_review", ("submitted", "resubmitted"), "in_review", ("reviewer", "admin")),
    Rule("return", UNDER_REVIEW, "returned", ("reviewer", "admin")),
    Rule("resubmit", ("returned",), "resubmitted", ("official",)),
    Rule("approve", UNDER_REVIEW, "approved", ("reviewer", "admin")),
    Rule("reject", UNDER_REVIEW, "rejected", ("reviewer", "admin")),
    Rule("recognise", ("approved",), "recognised", ("reviewer", "admin")),
    Rule("reopen", ("approved", "rejected"), "in_review", ("admin",)),
)
ACTIONS = {rule.action: rule for rule in RULES}


class IllegalTransition(Exception):
    """`code` is 'unknown_action', 'wrong_state' or 'wrong_role'."""

    def __init__(self, code: str, action: str, status: str, role: str):
        super().__init__(f"{code}: {action} from {status} by {role}")
        self.code = code
        self.action = action
        self.status = status
        self.role = role


def transition(status: str, action: str, role: str) -> str:
    """The state after `action`, or IllegalTransition."""
    rule = ACTIONS.get(action)
    if rule is None:
        raise IllegalTransition("unknown_action", action, status, role)
    if status not in rule.sources:
        raise IllegalTransition("wrong_state", action, status, role)
    if role not in rule.roles:
        raise IllegalTransition("wrong_role", action, status, role)
    return rule.target


def allowed_actions(status: str, role: str) -> list[str]:
    return [r.action for r in RULES if status in r.sources and role in r.roles]
