"""A pause of the response clock (fee notice, request for reasons) ends only when the case moves on: an
internal record made while it runs (an assignment, a document filed) leaves it running."""

from datetime import date

from tests.integration.conftest import World
from workflow import admin, cases

RECEIVED = date(2025, 3, 3)  # a Monday
NOTICE, PAID = date(2025, 3, 10), date(2025, 3, 24)


def _due_after_payment(world: World, reassign: bool) -> date:
    number = world.receive(RECEIVED)
    world.act(number, "issue_fee_notice", NOTICE, method="per_page", pages=150)
    if reassign:
        cases.assign(world.db, actor_name="head", number=number, assignee="clerk2", today=date(2025, 3, 14))
    world.act(number, "receive_payment", PAID, as_="clerk2" if reassign else "clerk")
    return world.due(number)


def test_reassigning_a_case_while_the_fee_is_unpaid_keeps_the_clock_paused(world: World) -> None:
    admin.add_user(world.db, actor_name="admin", username="clerk2", role="clerk")
    assert _due_after_payment(world, reassign=True) == _due_after_payment(world, reassign=False)
