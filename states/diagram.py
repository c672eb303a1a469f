"""The lifecycle as Mermaid and a Markdown table, generated from the transition table (docs/lifecycle.md)."""

import sys
from pathlib import Path

from states.clocks import RULES
from states.lifecycle import ROLE_LABELS, STATE_LABELS, TRANSITIONS, State

BEGIN = "<!-- BEGIN GENERATED: python -m states.diagram --write docs/lifecycle.md -->"
END = "<!-- END GENERATED -->"

_REQUIREMENTS = {
    "channel": "渠道", "received_on": "收到申请之日", "applicant_type": "申请人类型", "request": "申请内容",
    "text": "--text", "period": "--until 或 --days", "party": "--party", "reply": "--reply",
    "method": "--method", "amount": "--amount", "outcome": "--outcome", "comment": "--text（意见）",
    "assignee": "承办人（ogi assign）",
}


def mermaid() -> str:
    """A Mermaid stateDiagram-v2 of every transition, labelled with trigger and role."""
    lines = ["stateDiagram-v2"]
    lines += [f"    {state.value}: {state.value} {label}" for state, label in STATE_LABELS.items()]
    for t in TRANSITIONS:
        roles = "/".join(sorted(r.value for r in t.roles))
        for source in t.sources or ("[*]",):
            src = source if isinstance(source, str) else source.value
            dest = t.leads_from(State(src) if t.sources else None).value
            lines.append(f"    {src} --> {dest}: {t.trigger.value} ({roles})")
    lines.append(f"    {State.CONCLUDED.value} --> [*]")  # the one end state, whatever the table's order
    return "\n".join(lines)


def table() -> str:
    """One row per trigger: from, to, who, what it needs, legal basis."""
    rows = ["| trigger | 操作 | from | to | who | requires | late after | legal basis |",
            "|---|---|---|---|---|---|---|---|"]
    for t in TRANSITIONS:
        sources = ", ".join(s.value for s in t.sources) or "(new)"
        roles = "、".join(ROLE_LABELS[r] for r in sorted(t.roles))
        needs = "、".join(_REQUIREMENTS.get(r, r) for r in t.requires) or "—"
        late = RULES[t.late_after].label if t.late_after else "—"
        dest = t.dest.value if t.dest is not None else "(unchanged)"
        rows.append(f"| `{t.trigger.value}` | {t.label} | {sources} | {dest} | {roles} | {needs} | "
                    f"{late} | {t.basis} |")
    return "\n".join(rows)


def generated() -> str:
    """The generated block of docs/lifecycle.md."""
    return f"{BEGIN}\n\n```mermaid\n{mermaid()}\n```\n\n{table()}\n\n{END}"


def splice(document: str) -> str:
    """Replace the generated block of a document with a fresh one."""
    head, _, rest = document.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return head + generated() + tail


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        path = Path(sys.argv[2])
        path.write_text(splice(path.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(generated())
