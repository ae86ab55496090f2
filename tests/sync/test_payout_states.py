"""The payout report adds up: booked + waiting + not booked + to book by hand = the payout's net, to the cent."""

import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from sync.models import Payout, PayoutFormat, PayoutLine
from sync.payouts.report import payout_report, state_rows
from sync.payouts.services import payout_format_from_preset

pytestmark = pytest.mark.django_db

D = Decimal
Kind, Status = PayoutLine.Kind, PayoutLine.Status
NET = D("1363.31")  # 1749.90 payments − 250.00 refunds − 75.00 chargebacks − 49.25 fees − 12.34 adjustment


def _payout(integration, *, carried: bool) -> Payout:
    """A SEK payout with a line in every state. With `carried`, the payment of row 2 writes off the fees of the
    refund of row 5 and the chargeback of row 7 (5.50); without, those fees are left to book by hand."""
    fmt = payout_format_from_preset(name="Demo PSP", preset=PayoutFormat.Preset.GENERIC)
    payout = Payout.objects.create(
        integration=integration, format=fmt, provider="generic", reference="PO-9", currency="SEK", bank_amount=NET
    )
    rows = [
        (Kind.PAYMENT, "1001", "1250.00", "31.25", "5.50" if carried else "0", Status.BOOKED),
        (Kind.PAYMENT, "1002", "400.00", "10.00", "0", Status.PENDING),
        (Kind.PAYMENT, "1003", "99.90", "2.50", "0", Status.UNMATCHED),
        (Kind.REFUND, "1004", "200.00", "0.50", "0", Status.FAILED),
        (Kind.REFUND, "1005", "50.00", "0", "0", Status.BOOKED),
        (Kind.CHARGEBACK, "1006", "75.00", "5.00", "0", Status.MANUAL),
        (Kind.ADJUSTMENT, "", "-12.34", "0", "0", Status.MANUAL),
        (Kind.PAYOUT, "", str(NET), "0", "0", Status.INFO),
    ]
    for line_no, (kind, order, gross, fee, carried_fee, status) in enumerate(rows, start=2):
        PayoutLine.objects.create(
            payout=payout,
            line_no=line_no,
            kind=kind,
            order_number=order,
            gross=D(gross),
            fee=D(fee),
            carried_fee=D(carried_fee),
            currency="SEK",
            status=status,
        )
    return payout


@pytest.mark.parametrize(
    "carried, booked, by_hand",
    [
        # booked: 1250.00 − 50.00 refund − (31.25 + 5.50) fees written off; by hand: −75.00 − 12.34
        (True, D("1163.25"), D("-87.34")),
        # booked: 1250.00 − 50.00 − 31.25; by hand: −75.00 − 12.34 − (0.50 + 5.00) fees no payment writes off
        (False, D("1168.75"), D("-92.84")),
    ],
)
def test_the_states_add_up_to_the_net_to_the_cent(integration, carried, booked, by_hand):
    report = payout_report(payout=_payout(integration, carried=carried))

    assert report.net == NET and report.balances
    totals = {state.label: state.total for state in report.states}
    assert totals == {
        "Booked in the ERP": booked,
        "Waiting to be booked": D("390.00"),  # 400.00 − 10.00
        "Not booked (no matching document or failed)": D("-102.60"),  # 99.90 − 2.50 − 200.00 refund
        "To book by hand": by_hand,
    }
    assert sum(totals.values()) == report.states_total == report.net
    assert report.booked_cash == booked and by_hand == report.by_hand
    # Each column adds up to its figure with its sign: refunds, chargebacks and fees negative.
    for name, figure in [
        ("payments", report.payments),
        ("refunds", -report.refunds),
        ("chargebacks", -report.chargebacks),
        ("fees", -report.fees),
        ("adjustments", report.adjustments),
    ]:
        assert sum(getattr(state, name) for state in report.states) == figure, name
    *_, total = state_rows(list(report.states), currency="SEK")
    assert total == (
        "Net paid out",
        "1,749.90\u00a0SEK",
        "−250.00\u00a0SEK",
        "−75.00\u00a0SEK",
        "−49.25\u00a0SEK",
        "−12.34\u00a0SEK",
        "1,363.31\u00a0SEK",
    )


def test_the_payout_page_shows_the_states_with_a_total_line_equal_to_the_net(admin_client, integration):
    payout = _payout(integration, carried=True)
    html = unescape(admin_client.get(reverse("admin:sync_payout_change", args=[payout.pk])).content.decode())

    table = html[html.index("Where the net stands") :]
    table = table[: table.index("</table>")]
    cells = [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table)
    ]
    assert cells[0] == ["", "Payments", "Refunds", "Chargebacks", "Fees", "Adjustments", "Total"]
    totals = {row[0]: row[-1] for row in cells[1:]}
    assert totals == {
        "Booked in Visma.net ERP": "1,163.25\u00a0SEK",
        "Waiting to be booked": "390.00\u00a0SEK",
        "Not booked (no matching document or failed)": "−102.60\u00a0SEK",
        "To book by hand": "−87.34\u00a0SEK",
        "Net paid out": "1,363.31\u00a0SEK",
    }
    # The figures above the states show the same net, and every amount on the page carries its currency.
    assert re.search(r"<th>Net paid out</th><td[^>]*>1,363.31\u00a0SEK</td>", html)
    assert re.search(r"<th>Booked so far</th><td[^>]*>1,163.25\u00a0SEK</td>", html)
    lines = html[html.index('id="koppla-payout-lines"') :]
    assert (
        ">1,250.00\u00a0SEK<" in lines
        and ">31.25\u00a0SEK<" in lines
        and ">5.50\u00a0SEK<" in lines
        and ">−12.34\u00a0SEK<" in lines
    )
    assert ">1250.00<" not in lines


def test_the_payout_list_shows_net_and_bank_amount_with_their_currency(admin_client, integration):
    _payout(integration, carried=False)
    html = unescape(admin_client.get(reverse("admin:sync_payout_changelist")).content.decode())
    assert html.count("1,363.31\u00a0SEK") == 2  # bank amount and net
    assert "net yes; −92.84\u00a0SEK to book by hand" in html


def test_the_book_button_counts_the_lines_it_books_and_their_amount_and_names_the_erp(admin_client, integration):
    """The button books the waiting, unmatched and failed payment and refund lines: its count and amount are the
    report's "Waiting to be booked" plus "Not booked" (390.00 − 102.60), never a count beside a 0.00 amount."""
    payout = _payout(integration, carried=True)
    html = unescape(admin_client.get(reverse("admin:sync_payout_change", args=[payout.pk])).content.decode())

    assert 'value="Book the lines not booked yet in Visma.net ERP now (3 lines, 287.40\u00a0SEK)"' in html
    lines = html[html.index('id="koppla-payout-lines"') :]
    assert ">booked in Visma.net ERP (2)</a>" in lines and "<td>Booked in Visma.net ERP</td>" in lines
    assert "the erp" not in lines.lower() and "Lines: 2 booked in Visma.net ERP, 1 failed" in html
