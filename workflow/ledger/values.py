"""How a ledger names applicant types, channels, states and outcomes: a code or its Chinese label from `states/`."""

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar, cast

from states.lifecycle import STATE_LABELS, State
from states.outcomes import APPLICANT_LABELS, CHANNEL_LABELS, OUTCOMES, ApplicantType, Channel
from states.report_format import ORGANISATION_HEADER

E = TypeVar("E", bound=StrEnum)

_SEPARATORS = ("/", "／", "-", "－", "—", "：", ":", " ")


def _normal(text: str) -> str:
    """ASCII brackets and a full-width dot as the labels write them."""
    return text.strip().replace("(", "（").replace(")", "）").replace("．", ".")


def _choices(labels: Mapping[E, str]) -> str:
    return "、".join(f"{k.value}（{v}）" for k, v in labels.items())


_NAMES: dict[int, dict[str, Any]] = {}


def _by_code_or_label(text: str, labels: Mapping[E, str], what: str) -> E:
    """The member named by its code or label; raises ValueError with the reason."""
    names = _NAMES.get(id(labels))
    if names is None:
        names = _NAMES[id(labels)] = {**{m.value: m for m in labels}, **{v: m for m, v in labels.items()}}
    found = names.get(text)
    if found is None:
        found = names.get(_normal(text))
    if found is None:
        raise ValueError(f"{what}「{_normal(text)}」无法识别；可选：{_choices(labels)}")
    return cast(E, found)


def applicant_type(text: str) -> ApplicantType:
    """表三「申请人情况」: a code or label (else ValueError); 法人或其他组织 only with a subtype."""
    text = _normal(text)
    if text.startswith(ORGANISATION_HEADER):
        rest = text.removeprefix(ORGANISATION_HEADER).strip("".join(_SEPARATORS) + "（）")
        if not rest:
            subtypes = "、".join(v for k, v in APPLICANT_LABELS.items() if k is not ApplicantType.NATURAL)
            raise ValueError(f"申请人类型「{text}」须写明法人或其他组织的具体类别：{subtypes}")
        found = _by_code_or_label(rest, APPLICANT_LABELS, "申请人类型")
        if found is ApplicantType.NATURAL:
            raise ValueError(f"申请人类型「{text}」无法识别：自然人不属于法人或其他组织")
        return found
    return _by_code_or_label(text, APPLICANT_LABELS, "申请人类型")


def channel(text: str) -> Channel:
    """条例第三十一条: how the application arrived, as a code or label."""
    return _by_code_or_label(text, CHANNEL_LABELS, "申请方式")


def state(text: str) -> State:
    """A lifecycle state, as a code or label."""
    return _by_code_or_label(text, STATE_LABELS, "状态")


_PREFIX = re.compile(r"^(?:（[一二三四五六七八九十]+）|\d+\.)")


def _short(label: str) -> str:
    """A label without its item number: 「1.属于国家秘密」 → 「属于国家秘密」."""
    return _PREFIX.sub("", label)


def _outcome_names() -> dict[str, set[str]]:
    """Every accepted name of every outcome → the codes it may mean."""
    names: dict[str, set[str]] = {}
    for code, o in OUTCOMES.items():
        forms = {code, o.label, _short(o.label), _short(o.label).split("（")[0]}
        if "." in code:  # a row under a group: also 「（三）不予公开/1.属于国家秘密」 and the like
            groups = {o.group_label, _short(o.group_label)}
            items = {o.label, _short(o.label)}
            forms |= {g + sep + i for g in groups for i in items for sep in ("", *_SEPARATORS)}
        for form in forms:
            names.setdefault(form, set()).add(code)
    return names


_OUTCOME_NAMES = _outcome_names()


def outcome(text: str) -> str:
    """An outcome code from a code (1, 2, 3.1 … 6.3) or an unambiguous label; raises ValueError with the reason."""
    codes = _OUTCOME_NAMES.get(text) or _OUTCOME_NAMES.get(_normal(text), set())
    text = _normal(text)
    if len(codes) == 1:
        return next(iter(codes))
    if not codes:  # a group's name (不予公开, （三）不予公开): one of its results, but which?
        codes = {c for c, o in OUTCOMES.items() if text in (o.group_label, o.group_label.split("）", 1)[-1])}
    if codes:
        options = "、".join(f"{c}（{OUTCOMES[c].group_label}/{OUTCOMES[c].label}）" for c in sorted(codes))
        raise ValueError(f"办理结果「{text}」有歧义，可能是：{options}；请写代码或“分组/结果”")
    raise ValueError(f"办理结果「{text}」无法识别：请写代码（1、2、3.1 … 6.3）或报表中的结果名称")
