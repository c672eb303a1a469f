"""Validated inputs (non-table models: table models do not validate), with Chinese error messages."""

from datetime import date
from decimal import Decimal
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from states.documents import kind_problem
from states.inputs import CHOICES, FIELD_LABELS, choice_code, choices_text
from states.outcomes import ApplicantType, Channel
from workflow.errors import InputError


class _Input(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


class ApplicationCreate(_Input):
    """What registering an application needs (条例第二十九条)."""

    applicant_name: str = Field(min_length=1, max_length=200)
    applicant_type: ApplicantType
    applicant_contact: str | None = Field(default=None, max_length=200)
    channel: Channel
    received_on: date
    request: str = Field(min_length=1)
    reason: str | None = Field(default=None, min_length=1)  # only for a receipt date in a locked report year


class DocumentRef(_Input):
    """A document filed with a case: the event records its content hash, not the file (kept in the store)."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    name: str = Field(min_length=1, max_length=200)
    kind: str
    size: int = Field(ge=1)
    media_type: str = Field(max_length=64)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if problem := kind_problem(value):
            raise ValueError(problem)
        return value


class ActionInput(_Input):
    """The facts an action may carry; which ones are required depends on the trigger."""

    on: date
    outcome: str | None = None
    until: date | None = None
    days: int | None = Field(default=None, ge=1, le=250)
    reason: str | None = Field(default=None, min_length=1)
    party: Literal["third_party", "other_agency"] | None = None
    party_name: str | None = Field(default=None, min_length=1, max_length=200)
    reply: Literal["consent", "objection", "none"] | None = None
    method: Literal["per_item", "per_page"] | None = None
    amount: Decimal | None = Field(default=None, gt=0, max_digits=12, decimal_places=2)  # a fee of 0 is no fee
    text: str | None = Field(default=None, min_length=1)
    served_on: date | None = None
    pages: int | None = Field(default=None, ge=1, le=1_000_000)
    assignee: str | None = Field(default=None, min_length=1, max_length=64)
    document: DocumentRef | None = None

    @field_validator("amount")
    @classmethod
    def _plain_amount(cls, value: Decimal | None) -> Decimal | None:
        """The amount as a letter prints it: whole yuan plainly (1E+3 → 1000, 1100.00 → 1100), else to the fen
        (100.1 → 100.10)."""
        if value is None:
            return None
        return value.quantize(Decimal(1) if value == value.to_integral_value() else Decimal("0.01"))

    def given(self) -> set[str]:
        """The optional facts this input carries (the date, reason and text go with any action)."""
        return {k for k, v in self if v is not None} - {"on", "reason", "text"}

    def event_data(self) -> dict[str, Any]:
        """What the event records of the inputs: every given fact but the date, as JSON values."""
        return self.model_dump(mode="json", exclude_none=True, exclude={"on"})

    def has(self, requirement: str) -> bool:
        """Whether a requirement of the transition table is satisfied."""
        if requirement == "period":
            return self.until is not None or self.days is not None
        if requirement == "comment":
            return bool(self.text or self.reason)
        return getattr(self, requirement) is not None


M = TypeVar("M", bound=BaseModel)
_BOUND_WORDS = {"greater_than_equal": "不能小于", "greater_than": "应大于", "less_than_equal": "不能大于",
                "less_than": "应小于"}


def _shown(value: object) -> object:
    """A value as a message may quote it: long text is cut, never echoed whole."""
    return value if not isinstance(value, str) or len(value) <= 40 else f"{value[:20]}…（共 {len(value)} 字）"


def validate(model: type[M], **values: object) -> M:
    """Validate input into `model`, turning pydantic errors into one Chinese InputError."""
    given = {k: v for k, v in values.items() if v is not None}
    for name, value in given.items():  # an enumerated input may be named by its Chinese label
        if name in CHOICES and isinstance(value, str) and (code := choice_code(name, value)) is not None:
            given[name] = code
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "?"
            label = FIELD_LABELS.get(name, name)
            value = _shown(err.get("input"))
            if err["type"] == "missing":
                lines.append(f"缺少{label}")
            elif name in CHOICES:
                lines.append(f"{label}的值 {value!r} 无效，可选：{choices_text(name)}")
            elif err["type"].startswith("date"):
                lines.append(f"{label}的值 {value!r} 不是有效日期（应为 YYYY-MM-DD）")
            elif err["type"] == "string_too_short":
                lines.append(f"{label}不能为空")
            elif err["type"] == "string_too_long":
                limit = (err.get("ctx") or {}).get("max_length")
                lines.append(f"{label}过长：{len(str(err.get('input')))} 字，最多 {limit} 字")
            elif err["type"] in _BOUND_WORDS:
                bound = next(iter((err.get("ctx") or {}).values()), "")
                lines.append(f"{label}的值 {value!r} 无效：{_BOUND_WORDS[err['type']]} {bound}")
            elif err["type"] == "decimal_max_places":
                lines.append(f"{label}的值 {value!r} 无效：最多两位小数（精确到分）")
            elif err["type"] in ("decimal_whole_digits", "decimal_max_digits"):
                lines.append(f"{label}的值 {value!r} 无效：数额过大")
            elif err["type"].startswith(("decimal", "int", "float", "finite")):
                lines.append(f"{label}的值 {value!r} 不是有效的数")
            else:
                lines.append(f"{label}的值 {value!r} 无效：{err['msg']}")
        raise InputError("输入有误：" + "；".join(lines)) from exc
