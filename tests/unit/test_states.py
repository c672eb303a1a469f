"""The pure domain: outcome labels, the transition table of SPEC §5, guards and the shared machine."""

from datetime import date

import pytest
from transitions import MachineError

from states.clocks import ClockKind
from states.guards import CaseFacts
from states.lifecycle import TRANSITION_BY_TRIGGER, TRANSITIONS, Role, State, Trigger
from states.machine import MACHINE, NEW
from states.outcomes import APPLICANT_LABELS, OUTCOMES, is_refusal
from states.policy import blockers


def test_outcome_rows_with_exact_labels() -> None:
    # 21 outcome rows; with 「（七）总计」 the group 「三、本年度办理结果」 has 22 rows.
    assert list(OUTCOMES) == ["1", "2", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "4.1", "4.2",
                              "4.3", "5.1", "5.2", "5.3", "5.4", "5.5", "6.1", "6.2", "6.3"]
    assert OUTCOMES["2"].label == "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
    assert OUTCOMES["3.3"].label == "3.危及“三安全一稳定”"
    assert OUTCOMES["6.1"].label == "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"
    assert OUTCOMES["6.2"].group_label == "（六）其他处理"
    for outcome in OUTCOMES.values():
        assert "(" not in outcome.label and ")" not in outcome.label  # full-width brackets only


def test_applicant_columns_in_report_order() -> None:
    assert list(APPLICANT_LABELS.values()) == ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]


def test_refusals_are_3x_and_partial_disclosure() -> None:
    assert [c for c in OUTCOMES if is_refusal(c)] == ["2", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8"]


SPEC_TABLE = {  # SPEC §5: trigger -> (sources, dest, who)
    "register": ((), "received", {"clerk"}),
    "request_correction": (("received",), "awaiting_correction", {"clerk"}),
    "receive_correction": (("awaiting_correction",), "received", {"clerk"}),
    "lapse_correction": (("awaiting_correction",), "concluded", {"system", "admin"}),
    "start_consultation": (("received",), "consulting", {"clerk"}),
    "end_consultation": (("consulting",), "received", {"clerk"}),
    "issue_fee_notice": (("received",), "awaiting_fee", {"clerk"}),
    "receive_payment": (("awaiting_fee",), "received", {"clerk"}),
    "lapse_fee": (("awaiting_fee",), "concluded", {"system", "admin"}),
    "request_reasons": (("received",), "awaiting_reasons", {"clerk"}),
    "receive_reasons": (("awaiting_reasons",), "received", {"clerk"}),
    "request_extension": (("received",), "received", {"clerk"}),
    "approve_extension": (("received",), "received", {"head"}),
    "reject_extension": (("received",), "received", {"head"}),
    "submit_response": (("received", "awaiting_reasons"), "under_review", {"clerk"}),
    "approve_response": (("under_review",), "concluded", {"head"}),
    "return_response": (("under_review",), "received", {"head"}),
    "withdraw": (("received", "awaiting_correction", "consulting", "awaiting_fee", "awaiting_reasons",
                  "under_review"), "concluded", {"clerk"}),
    # Beyond SPEC §5 (issue 4): a clerk undoes a wrong automatic lapse, with a reason.
    "undo_lapse_correction": (("concluded",), "awaiting_correction", {"clerk"}),
    "undo_lapse_fee": (("concluded",), "awaiting_fee", {"clerk"}),
    # Beyond SPEC §5 (issue 10): a head assigns another 承办人; the case stays where it is.
    "assign": (("received", "awaiting_correction", "consulting", "awaiting_fee", "awaiting_reasons",
                "under_review"), None, {"head"}),
    # Beyond SPEC §5 (issue 13): a clerk or head files a scan with the case (案卷), concluded ones too.
    "file_document": (("received", "awaiting_correction", "consulting", "awaiting_fee", "awaiting_reasons",
                       "under_review", "concluded"), None, {"clerk", "head"}),
}


def test_transition_table_is_spec_section_5() -> None:
    actual = {t.trigger.value: (tuple(s.value for s in t.sources), t.dest.value if t.dest else None,
                                {r.value for r in t.roles})
              for t in TRANSITIONS}
    assert actual == SPEC_TABLE


class _Case:
    def __init__(self, state: str) -> None:
        self.state = state


def test_shared_machine_moves_a_case_and_refuses_invalid_triggers() -> None:
    case = _Case(NEW)
    assert MACHINE.events["register"].trigger(case) and case.state == "received"
    assert MACHINE.events["request_correction"].trigger(case) and case.state == "awaiting_correction"
    with pytest.raises(MachineError):
        MACHINE.events["approve_response"].trigger(case)
    assert case.state == "awaiting_correction"


def test_correction_notice_is_one_time() -> None:
    t = TRANSITION_BY_TRIGGER[Trigger.REQUEST_CORRECTION]
    facts = CaseFacts(on=date(2025, 3, 5), correction_requested_on=date(2025, 3, 4))
    (reason,) = blockers(t, State.RECEIVED, Role.CLERK, facts)
    assert "2025-03-04" in reason and "一次性告知" in reason


def test_extension_needs_head_approval() -> None:
    t = TRANSITION_BY_TRIGGER[Trigger.APPROVE_EXTENSION]
    facts = CaseFacts(on=date(2025, 3, 5), extension="pending", extension_requested_on=date(2025, 3, 4))
    assert "只能由负责人操作" in blockers(t, State.RECEIVED, Role.CLERK, facts)[0]
    assert blockers(t, State.RECEIVED, Role.HEAD, facts) == []


def test_late_action_needs_a_reason() -> None:
    t = TRANSITION_BY_TRIGGER[Trigger.REQUEST_CORRECTION]
    facts = CaseFacts(on=date(2025, 3, 20), due={ClockKind.CORRECTION_NOTICE: date(2025, 3, 13)})
    (reason,) = blockers(t, State.RECEIVED, Role.CLERK, facts)
    assert "2025-03-13" in reason and "--reason" in reason
    assert blockers(t, State.RECEIVED, Role.CLERK, facts, has_reason=True) == []


def test_lapse_only_after_the_period_expired() -> None:
    t = TRANSITION_BY_TRIGGER[Trigger.LAPSE_FEE]
    due = {ClockKind.FEE_PAYMENT: date(2025, 4, 1)}
    assert "尚未逾期" in blockers(t, State.AWAITING_FEE, Role.SYSTEM, CaseFacts(on=date(2025, 4, 1), due=due))[0]
    assert blockers(t, State.AWAITING_FEE, Role.SYSTEM, CaseFacts(on=date(2025, 4, 2), due=due)) == []


def test_response_cannot_claim_a_system_outcome() -> None:
    t = TRANSITION_BY_TRIGGER[Trigger.SUBMIT_RESPONSE]
    reasons = blockers(t, State.RECEIVED, Role.CLERK, CaseFacts(on=date(2025, 1, 6), outcome="6.1"))
    assert "自动产生" in reasons[0]
    assert "不存在" in blockers(t, State.RECEIVED, Role.CLERK, CaseFacts(on=date(2025, 1, 6), outcome="7"))[0]


def test_the_lifecycle_diagram_ends_in_concluded_only() -> None:
    from states import diagram

    ends = [line.split("-->")[0].strip() for line in diagram.mermaid().splitlines() if line.endswith("--> [*]")]
    assert ends == [State.CONCLUDED.value]


def test_no_trigger_is_named_by_a_string_outside_the_lifecycle_table() -> None:
    """One place per action: everything but the table names an action by `Trigger.X`, never by its code."""
    import ast
    from pathlib import Path

    from states.appeals import AppealTrigger

    root = Path(__file__).resolve().parents[2]
    codes = {t.value for t in Trigger}
    # the table itself, and the CLI's table of command names (`ogi assign` is a command, not a trigger)
    allowed = {root / "states" / "lifecycle.py", root / "workflow" / "cli" / "root.py"}
    found = []
    for package in ("states", "workflow", "notifications"):
        for path in sorted((root / package).rglob("*.py")):
            if path in allowed:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            exported = {id(c) for n in ast.walk(tree) if isinstance(n, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)
                        for c in ast.walk(n.value)}  # function names such as `register`
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and node.value in codes and id(node) not in exported:
                    # an appeal's own trigger of the same name is defined in its enum
                    if path.name == "appeals.py" and node.value in {t.value for t in AppealTrigger}:
                        continue
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.value!r}")
    assert found == []
