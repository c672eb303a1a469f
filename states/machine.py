"""The one shared `transitions.Machine`, built once from the transition table (ARCHITECTURE decision 2)."""

from typing import Any, Protocol

from transitions import Machine

from states.lifecycle import TRANSITIONS, State

NEW = "new"  # the machine's pseudo-state before registration


class CaseModel(Protocol):
    """What the machine needs of the object it drives: a state and a guard hook."""

    state: str

    def may_proceed(self, event: Any) -> bool:
        """Return False (keeping the reasons) when a guard is unmet."""


def build_machine() -> Machine:
    """A flat, unqueued machine with no models: fire it as `MACHINE.events[t].trigger(wrapper)`."""
    return Machine(
        model=None,
        states=[NEW, *(s.value for s in State)],
        initial=NEW,
        transitions=[
            {
                "trigger": t.trigger.value,
                "source": [s.value for s in t.sources] or [NEW],
                "dest": t.dest.value,
                "conditions": ["may_proceed"],
            }
            for t in TRANSITIONS
        ],
        auto_transitions=False,
        send_event=True,
        queued=False,
    )


MACHINE = build_machine()
