"""Report outcomes (格式 表三「本年度办理结果」), applicant types and receipt channels (条例第三十一条)."""

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Outcome:
    """One of the 22 outcome rows of the annual report, with its exact label."""

    code: str
    label: str
    group: str
    group_label: str


_GROUPS: dict[str, str] = {
    "1": "（一）予以公开",
    "2": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "3": "（三）不予公开",
    "4": "（四）无法提供",
    "5": "（五）不予处理",
    "6": "（六）其他处理",
}

_ROWS: tuple[tuple[str, str], ...] = (
    ("1", "（一）予以公开"),
    ("2", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("3.1", "1.属于国家秘密"),
    ("3.2", "2.其他法律行政法规禁止公开"),
    ("3.3", "3.危及“三安全一稳定”"),
    ("3.4", "4.保护第三方合法权益"),
    ("3.5", "5.属于三类内部事务信息"),
    ("3.6", "6.属于四类过程性信息"),
    ("3.7", "7.属于行政执法案卷"),
    ("3.8", "8.属于行政查询事项"),
    ("4.1", "1.本机关不掌握相关政府信息"),
    ("4.2", "2.没有现成信息需要另行制作"),
    ("4.3", "3.补正后申请内容仍不明确"),
    ("5.1", "1.信访举报投诉类申请"),
    ("5.2", "2.重复申请"),
    ("5.3", "3.要求提供公开出版物"),
    ("5.4", "4.无正当理由大量反复申请"),
    ("5.5", "5.要求行政机关确认或重新出具已获取信息"),
    ("6.1", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("6.2", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("6.3", "3.其他"),
)

OUTCOMES: dict[str, Outcome] = {
    code: Outcome(code, label, code.split(".")[0], _GROUPS[code.split(".")[0]])
    for code, label in _ROWS
}

LAPSED_CORRECTION = "6.1"
LAPSED_FEE = "6.2"
WITHDRAWN = "6.3"

# Outcomes a system action or a withdrawal sets; a clerk's response never uses these.
SYSTEM_OUTCOMES = frozenset({LAPSED_CORRECTION, LAPSED_FEE})


def is_refusal(code: str) -> bool:
    """行政复议法第二十三条: refusals (3.x, the withheld part of 2) must name reconsideration first."""
    return code == "2" or code.startswith("3.")


class ApplicantType(StrEnum):
    """Report columns of 表三「申请人情况」, in order."""

    NATURAL = "natural"
    COMMERCIAL = "commercial"
    RESEARCH = "research"
    PUBLIC_INTEREST = "public_interest"
    LEGAL_SERVICE = "legal_service"
    OTHER = "other"


APPLICANT_LABELS: dict[ApplicantType, str] = {
    ApplicantType.NATURAL: "自然人",
    ApplicantType.COMMERCIAL: "商业企业",
    ApplicantType.RESEARCH: "科研机构",
    ApplicantType.PUBLIC_INTEREST: "社会公益组织",
    ApplicantType.LEGAL_SERVICE: "法律服务机构",
    ApplicantType.OTHER: "其他",
}


class Channel(StrEnum):
    """条例第三十一条: how the application arrived, which fixes the receipt date."""

    IN_PERSON = "in_person"
    POST_SIGNED = "post_signed"
    POST_ORDINARY = "post_ordinary"
    ONLINE = "online"
    FAX = "fax"
    EMAIL = "email"


CHANNEL_LABELS: dict[Channel, str] = {
    Channel.IN_PERSON: "当面提交",
    Channel.POST_SIGNED: "邮寄（需签收）",
    Channel.POST_ORDINARY: "平常信函",
    Channel.ONLINE: "互联网渠道",
    Channel.FAX: "传真",
    Channel.EMAIL: "电子邮件",
}

# 条例第三十一条: which day counts as the receipt date, per channel.
RECEIPT_RULES: dict[Channel, str] = {
    Channel.IN_PERSON: "以提交之日为收到申请之日",
    Channel.POST_SIGNED: "以行政机关签收之日为收到申请之日",
    Channel.POST_ORDINARY: "以行政机关与申请人确认之日为收到申请之日",
    Channel.ONLINE: "以双方确认之日为收到申请之日",
    Channel.FAX: "以双方确认之日为收到申请之日",
    Channel.EMAIL: "以双方确认之日为收到申请之日（数据电文，按互联网渠道处理）",
}
