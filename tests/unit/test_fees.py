"""Processing-fee bands of the 办法 (SPEC §9)."""

from decimal import Decimal

import pytest

from states.fees import per_item_price, quote_per_item, quote_per_page


@pytest.mark.parametrize(("nth", "price"), [
    (1, 0), (10, 0), (11, 100), (30, 100), (31, 200), (40, 200), (41, 300), (50, 300), (51, 400), (70, 500), (75, 600),
])
def test_per_item_bands_per_applicant_per_month(nth: int, price: int) -> None:
    assert per_item_price(nth) == Decimal(price)
    assert quote_per_item(nth).amount == Decimal(price)


def test_per_item_quote_names_the_band() -> None:
    assert quote_per_item(35).lines[0].band == "本月第 31–40 件"
    assert quote_per_item(12).lines[0].band == "本月第 11–30 件"
    assert quote_per_item(3).lines[0].band == "本月前 10 件"


@pytest.mark.parametrize(("pages", "amount"), [
    (0, 0), (30, 0), (31, 10), (100, 700), (101, 720), (200, 2700), (201, 2740), (250, 4700),
])
def test_per_page_bands_are_progressive(pages: int, amount: int) -> None:
    assert quote_per_page(pages).amount == Decimal(amount)


def test_per_page_quote_lists_each_band_applied() -> None:
    lines = quote_per_page(150).lines
    assert [(line.band, line.quantity, line.amount) for line in lines] == [
        ("第 1–30 页", 30, Decimal(0)), ("第 31–100 页", 70, Decimal(700)), ("第 101–200 页", 50, Decimal(1000))]
