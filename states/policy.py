"""Who may do what now: roles (denied by default), late actions and guards, as readable reasons."""

from states.clocks import RULES
from states.guards import CaseFacts
from states.lifecycle import ROLE_LABELS, STATE_LABELS, Role, State, Transition


def role_reason(transition: Transition, role: Role | None) -> str | None:
    """Permissions are denied unless the table grants the role."""
    if role is None:
        return "未指定操作用户（用 --as 或 OGI_USER 指定）"
    if role not in transition.roles:
        allowed = "、".join(ROLE_LABELS[r] for r in sorted(transition.roles))
        return f"「{transition.label}」只能由{allowed}操作，当前用户是{ROLE_LABELS[role]}"
    return None


def late_reason(transition: Transition, facts: CaseFacts, has_reason: bool) -> str | None:
    """SPEC §4: an action after its clock's due date is refused unless a reason is recorded."""
    if transition.late_after is None or has_reason:
        return None
    due = facts.due.get(transition.late_after)
    if due is not None and facts.on > due:
        label = RULES[transition.late_after].label
        return f"{label}已于 {due} 届满，{facts.on} 办理属于逾期办理，须用 --reason 说明理由（理由将记入案卷）"
    return None


def blockers(transition: Transition, state: State | None, role: Role | None, facts: CaseFacts,
             *, has_reason: bool = False) -> list[str]:
    """Every reason `transition` cannot fire now; empty when it can."""
    reasons: list[str] = []
    if state is not None and state not in transition.sources:
        reasons.append(f"当前状态为「{STATE_LABELS[state]}」，不能「{transition.label}」")
    elif state is None and transition.sources:
        reasons.append("案件尚未登记")
    role_problem = role_reason(transition, role)
    if role_problem:
        reasons.append(role_problem)
    if reasons:
        return reasons
    reasons.extend(r for guard in transition.guards if (r := guard(facts)) is not None)
    late = late_reason(transition, facts, has_reason)
    if late:
        reasons.append(late)
    return reasons
