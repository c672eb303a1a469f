"""The one shared `transitions.Machine`, built once from the transition table (ARCHITECTURE decision 2)."""

from transitions import Machine

from states.lifecycle import TRANSITIONS, State

NEW = "new"  # the machine's pseudo-state before registration


def build_machine() -> Machine:
    """A flat, unqueued machine with no models: fire it as `MACHINE.events[t].trigger(wrapper)`.

    The machine owns which trigger may move which state where (MachineError otherwise). Roles and
    guards are checked before firing by `states.policy.blockers`, which explains every refusal.
    """
    return Machine(
        model=None,
        states=[NEW, *(s.value for s in State)],
        initial=NEW,
        transitions=[
            {
                "trigger": t.trigger.value,
                "source": [s.value for s in t.sources] or [NEW],
                "dest": t.dest.value if t.dest is not None else None,  # None: an internal transition
            }
            for t in TRANSITIONS
        ],
        auto_transitions=False,
        send_event=True,
        queued=False,
    )


MACHINE = build_machine()
