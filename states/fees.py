"""Processing fees (《政府信息公开信息处理费管理办法》, 国办函〔2020〕109号; SPEC §9) as pure arithmetic."""

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

FREE_ITEMS_PER_MONTH = 10
FREE_PAGES = 30
# 按量: (first page of the band, last page or None, yuan per page)
PAGE_BANDS: tuple[tuple[int, int | None, Decimal], ...] = (
    (31, 100, Decimal(10)),
    (101, 200, Decimal(20)),
    (201, None, Decimal(40)),
)


@dataclass(frozen=True)
class FeeLine:
    """One band applied: what it covers and what it costs."""

    band: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class FeeQuote:
    """A computed fee with the bands applied, for the fee notice and the case history."""

    method: str  # "per_item" (按件) or "per_page" (按量)
    basis: str
    lines: tuple[FeeLine, ...]

    @property
    def amount(self) -> Decimal:
        """The total in yuan."""
        return sum((line.amount for line in self.lines), Decimal(0))


def per_item_price(nth: int) -> Decimal:
    """办法第六条（按件）: the n-th application of one applicant in a calendar month.

    1–10 free; 11–30 100 元 each; from the 31st, every further band of 10 costs 100 元 more each.
    """
    if nth < 1:
        raise ValueError("nth counts from 1")
    if nth <= FREE_ITEMS_PER_MONTH:
        return Decimal(0)
    if nth <= 30:
        return Decimal(100)
    return Decimal(100) * (2 + (nth - 31) // 10)


def quote_per_item(nth: int) -> FeeQuote:
    """The fee for an applicant's n-th application of the month (按件计收)."""
    price = per_item_price(nth)
    first = ((nth - 31) // 10) * 10 + 31 if nth > 30 else (11 if nth > 10 else 1)
    last = first + (9 if nth > 30 else 19 if nth > 10 else 9)
    band = f"本月第 {first}–{last} 件" if nth > 10 else f"本月前 {FREE_ITEMS_PER_MONTH} 件"
    return FeeQuote("per_item", f"按件计收：申请人本月第 {nth} 件申请",
                    (FeeLine(band, 1, price, price),))


def quote_per_page(pages: int) -> FeeQuote:
    """The fee for one application by page count (按量计收): 30 pages free, then 10/20/40 元 per page by band."""
    if pages < 0:
        raise ValueError("pages cannot be negative")
    lines = [FeeLine(f"第 1–{FREE_PAGES} 页", min(pages, FREE_PAGES), Decimal(0), Decimal(0))]
    for first, last, price in PAGE_BANDS:
        top = pages if last is None else min(pages, last)
        if top >= first:
            count = top - first + 1
            label = f"第 {first}–{last} 页" if last else f"第 {first} 页起"
            lines.append(FeeLine(label, count, price, price * count))
    return FeeQuote("per_page", f"按量计收：共 {pages} 页", tuple(lines))


def fee_problems(quote: FeeQuote, given: Decimal | None, has_reason: bool) -> list[str]:
    """办法: no fee below the free volume; an amount that departs from the bands needs a recorded reason."""
    if quote.amount == 0:
        return [f"按《政府信息公开信息处理费管理办法》，{quote.basis}，在免费范围内，不应收费"]
    if given is not None and given != quote.amount and not has_reason:
        return [f"按标准计算应收 {quote.amount} 元（{quote.basis}），与 --amount {given} 元不符；"
                "如确需按其他金额收取，须用 --reason 说明理由"]
    return []


def quote_data(quote: FeeQuote) -> dict[str, Any]:
    """A quote as JSON-ready data (stored in the fee notice event)."""
    return {"method": quote.method, "basis": quote.basis, "amount": str(quote.amount),
            "lines": [{**asdict(line), "unit_price": str(line.unit_price), "amount": str(line.amount)}
                      for line in quote.lines]}
