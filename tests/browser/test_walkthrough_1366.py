"""The README's demo walk-through, click by click, on a 1366×768 laptop screen.

On every list an ops person lives in (Records, Record logs, Sync runs, Integration flows, Payouts,
Connections, Tax zones and the dashboard) the decisive columns' header cells must lie inside the viewport: their right edge at or
before 1366 px, without scrolling sideways. Screenshots of the main pages go to
test-results/screenshots/ (CI keeps test-results/ as artifacts).

The qcluster of `make demo` picks a flow's schedule up within seconds of *Switch on*; here the
flow schedules that are due are run once right after the click, which is what the worker does.
"""

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import Schedule
from playwright.sync_api import expect

from integrations.models import Connection
from sync.models import Flow, IntegrationFlow, Payout, SyncRecord, SyncRun
from tests.browser.conftest import demo_exportable_orders, demo_login

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 1366, 768
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"

# The columns that decide what to do next, by the admin's column class (column-<list_display name>).
RECORDS_COLUMNS = {
    "status_display": "Status",
    "record": "Record",
    "short_error": "Message",
    "next_attempt": "Next attempt",
    "target": "Target",
    "log_link": "Last attempt",
}
RECORD_LOG_COLUMNS = {"status_display": "Status", "short_error": "Message", "run_link": "Run"}
PAYOUT_COLUMNS = {
    "payout_display": "Payout",
    "integration_display": "Integration",
    "bank_display": "Bank amount",
    "net_display": "Net",
    "balance_display": "Equals bank",
    "status_display": "Status",
}
SYNC_RUN_COLUMNS = {
    "status_display": "Status",
    "failed": "Failed",
    "started": "Started",
    "duration_display": "Duration",
}
CONNECTION_COLUMNS = {
    "name_display": "Name",
    "system": "System",
    "auth_display": "Auth",
    "status_badge": "Status",
    "pause_state": "Paused",
    "credentials_state": "Credentials",
    "checked_display": "Last checked",
}
TAX_ZONE_COLUMNS = {
    "country_display": "Country",
    "type_display": "Type",
    "regime_display": "VAT regime",
    "customer_class": "Customer class",
    "vat_zone": "VAT zone",
    "category_display": "VAT category",
    "sales_account": "Sales account",
    "integration_display": "Integration",
}
NUMBER_SERIES_COLUMNS = {
    "numbering_id": "Numbering",
    "status_badge": "Status",
    "remaining": "Remaining",
    "overlaps_display": "Overlaps with",
    "short_message": "Message",
    "where": "Connection",
    "checked_at": "Checked",
}
FLOW_COLUMNS = {"flow_name": "Flow", "enabled": "Enabled", "last_run": "Last run", "failing": "Failed records waiting"}


@pytest.fixture
def laptop(browser, live_server, demo):
    """A logged-in tab of 1366×768; the ERP connection is not connected yet, as after `make demo`."""
    Connection.objects.filter(pk=demo.erp_id).update(access_token="", refresh_token="", status="new")
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    context.set_default_timeout(60_000)
    yield demo_login(context.new_page(), live_server.url)
    context.close()


def shot(page, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def assert_columns_fit(page, columns: dict[str, str], table: str = "#result_list") -> None:
    """Each named header cell is shown, says its label and ends inside the 1366 px viewport."""
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, "the page scrolls sideways"
    for css, label in columns.items():
        cell = page.locator(f"{table} thead th.column-{css}")
        expect(cell).to_be_visible()
        expect(cell).to_contain_text(label)
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0, f"{label}: not laid out"
        right = box["x"] + box["width"]
        assert right <= WIDTH, f"{label} ends at {right:.0f} px, beyond {WIDTH}"
        # Django's list scrolls sideways inside its own box: a column beyond that box is cut off too.
        visible = cell.evaluate("th => th.closest('.results, table').getBoundingClientRect().right")
        assert right <= visible + 1, f"{label} ends at {right:.0f} px, beyond the list's edge at {visible:.0f} px"


def assert_row_height(page, most: int = 60) -> None:
    heights = page.locator("#result_list tbody tr").evaluate_all(
        "rows => rows.map(r => r.getBoundingClientRect().height)"
    )
    assert heights and max(heights) <= most, f"rows up to {max(heights):.0f} px tall"


def tick_row(page, text: str) -> None:
    page.locator("#result_list tbody tr", has_text=text).locator("input[name=_selected_action]").check()


def action(page, name: str) -> None:
    page.select_option("select[name=action]", name)
    page.click("button[name=index]")


VISMA_INTEGRATION = "Demo shop (Centra → Visma.net)"


def switch_on(page, base: str, *flow_labels: str) -> None:
    """Sync › Integration flows, filtered on the Visma.net demo integration as the README says: tick the flows,
    action *Switch on*; the worker's scheduler starts their runs."""
    page.goto(f"{base}/admin/sync/integrationflow/")
    page.locator("#changelist-filter a", has_text=VISMA_INTEGRATION).click()
    for label in flow_labels:
        tick_row(page, label)
    action(page, "switch_on")
    expect(page.locator(".messagelist")).to_contain_text(f"Switched on {len(flow_labels)} flow")
    run_due_flow_schedules()


def run_due_flow_schedules() -> None:
    """What the qcluster's scheduler does with the flow schedules that are due: run each once, move it on."""
    due = Schedule.objects.filter(next_run__lte=timezone.now(), func="sync.tasks.flow_run_scheduled")
    assert due.exists(), "switching a flow on did not make its schedule due"
    for schedule in due:
        import_string(schedule.func)(*ast.literal_eval(f"({schedule.args},)"))
        Schedule.objects.filter(pk=schedule.pk).update(next_run=timezone.now() + timedelta(hours=1))


def test_readme_walk_through_at_1366_px(laptop, live_server, demo):
    page, base = laptop, live_server.url
    demo_exportable_orders(demo)  # one order paid with Swish, which the mapping lacks

    # 1. Connect the ERP: Connections › Connections › Visma.net sandbox › Connect, approve, Test connection on both.
    page.goto(f"{base}/admin/integrations/connection/")
    page.locator("#result_list a", has_text=demo.erp.name).click()
    page.click("#koppla-connect")
    page.click("button.approve")
    expect(page.locator(".messagelist")).to_contain_text("is connected")
    page.click("#koppla-test-connection")
    expect(page.locator(".messagelist .success")).to_be_visible()
    page.goto(f"{base}/admin/integrations/connection/")
    page.locator("#result_list a", has_text=demo.shop.name).click()
    page.click("#koppla-test-connection")
    expect(page.locator(".messagelist .success")).to_be_visible()
    page.goto(f"{base}/admin/integrations/connection/")
    shot(page, "01-connections")
    assert_columns_fit(page, CONNECTION_COLUMNS)
    assert_row_height(page, most=45)  # one line per row

    # 2. Orders: Switch on starts the run; Sync › Sync runs shows it with its progress.
    switch_on(page, base, Flow.ORDERS.label)
    page.goto(f"{base}/admin/sync/integrationflow/")
    shot(page, "02-integration-flows")
    assert_columns_fit(page, FLOW_COLUMNS)
    page.goto(f"{base}/admin/sync/syncrun/")
    expect(page.locator("#result_list tbody tr").first).to_contain_text("Finished with failed records")
    assert not SyncRun.objects.filter(status=SyncRun.Status.SKIPPED).exists()
    shot(page, "03-sync-runs")
    assert_columns_fit(page, SYNC_RUN_COLUMNS)
    page.locator("#result_list tbody tr").first.locator("th a, td a").first.click()
    expect(page.locator("#content")).to_contain_text("Finished with failed records")
    shot(page, "04-sync-run")

    # 3. A failed record: Sync › Records, filter Failed, open one; add the mapping row; Resync this record.
    page.goto(f"{base}/admin/sync/syncrecord/")
    page.locator("#changelist-filter a", has_text=re.compile(r"^\s*Failed\s*$")).click()
    rows = page.locator("#result_list tbody tr")
    expect(rows.first).to_contain_text("unknown payment method 'swish'")
    shot(page, "05-records-failed")
    assert_columns_fit(page, RECORDS_COLUMNS)
    assert_row_height(page)
    rows.first.locator("th a, td a").first.click()
    expect(page.locator("#content")).to_contain_text(
        "unknown payment method 'swish': add it in Mappings › Payment methods"
    )
    record_url = page.url
    page.goto(f"{base}/admin/mappings/paymentmethodmapping/add/")
    page.select_option("#id_integration", str(demo.pk))
    page.fill("#id_shop_method", "swish")
    page.fill("#id_erp_payment_method", "INVOICE")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    page.goto(record_url)
    page.click("#koppla-resync")
    expect(page.locator(".messagelist")).to_contain_text("it succeeded")
    if SyncRecord.objects.filter(integration=demo, flow="orders").exclude(status="ok").exists():
        page.goto(f"{base}/admin/sync/syncrecord/?status__in=retrying,dead")
        page.locator("#action-toggle").check()
        action(page, "resync_selected")
        page.click("#koppla-confirm")
        expect(page.locator(".messagelist")).to_contain_text("Queued")
    assert not SyncRecord.objects.filter(integration=demo, flow="orders").exclude(status="ok").exists()
    page.goto(f"{base}/admin/sync/recordlog/")
    shot(page, "06-record-logs")
    assert_columns_fit(page, RECORD_LOG_COLUMNS)
    assert_row_height(page)

    # 4. and 5. Customers, refunds; products, stock, documents: switch on (each starts its run).
    switch_on(page, base, Flow.CUSTOMERS.label, Flow.REFUNDS.label)
    switch_on(page, base, Flow.PRODUCTS.label, Flow.STOCK.label, Flow.DOCUMENTS.label)
    page.goto(f"{base}/admin/sync/syncrun/")
    assert_columns_fit(page, SYNC_RUN_COLUMNS)
    started = SyncRun.objects.filter(integration=demo).values_list("flow", flat=True)
    assert {"customers", "refunds", "products", "stock", "documents"} <= set(started)
    page.goto(f"{base}/admin/sync/syncrecord/")
    shot(page, "07-records")
    assert_columns_fit(page, RECORDS_COLUMNS)
    assert_row_height(page)

    # 6. Payouts: switch the Payouts flow on, import the demo settlement file, book it.
    switch_on(page, base, Flow.PAYOUTS.label)
    page.goto(f"{base}/admin/sync/payout/")
    page.click("#koppla-payout-import")
    page.select_option("#koppla-demo-payout select[name=integration]", label=VISMA_INTEGRATION)
    with page.expect_download() as download:
        page.click("#koppla-demo-payout-download")
    settlement = download.value.path()
    page.select_option("#id_integration", str(demo.pk))
    page.select_option("#id_format", label="Adyen settlement details")
    page.set_input_files("#id_file", settlement)
    page.click("#koppla-import-payout")
    page.click("#koppla-confirm-payout")
    expect(page.locator(".messagelist")).to_be_visible()
    payout = Payout.objects.get(integration=demo)
    page.goto(f"{base}/admin/sync/payout/")
    page.locator("#result_list tbody input[name=_selected_action]").first.check()
    action(page, "book_now")
    expect(page.locator(".messagelist")).not_to_contain_text("refused")
    assert SyncRun.objects.filter(integration=demo, flow="payouts").exclude(status=SyncRun.Status.SKIPPED).exists()
    assert_columns_fit(page, PAYOUT_COLUMNS)
    shot(page, "08-payouts")
    page.goto(f"{base}/admin/sync/payout/{payout.pk}/change/")
    shot(page, "09-payout")

    # 7. Checks: Number series checks › Check now; the dashboard at the top of the admin index.
    page.goto(f"{base}/admin/sync/numberseriescheck/")
    page.click("#koppla-number-series-check")
    expect(page.locator(".messagelist")).to_be_visible()
    shot(page, "10-number-series")
    assert_columns_fit(page, NUMBER_SERIES_COLUMNS)
    page.goto(f"{base}/admin/")
    page.click("#koppla-dashboard-link a")
    flows = page.locator("#koppla-flows")
    expect(flows).to_be_visible()
    shot(page, "10-dashboard")
    for index in range(page.locator("#koppla-flows thead th").count()):
        box = page.locator("#koppla-flows thead th").nth(index).bounding_box()
        assert box is not None and box["x"] + box["width"] <= WIDTH
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    expect(flows).not_to_contain_text("Skipped")
    assert IntegrationFlow.objects.filter(integration=demo, enabled=True).count() == 7


def test_a_mapping_file_with_bad_rows_shows_each_reason_as_text_by_line(laptop, live_server, demo, tmp_path):
    page, base = laptop, live_server.url
    bad = tmp_path / "zones.csv"
    bad.write_text(
        "country,customer_type,customer_class,vat_zone,vat_category,sales_account\n"
        "AT,B2C,EUB2C,OSS,OSS-AT,3106\n"
        "XX,B2C,EUB2C,OSS,OSS-XX,3106\n"
        "\n"
        "DE,B2X,EUB2C,OSS,OSS-DE,3106\n",
        encoding="utf-8",
    )
    page.goto(f"{base}/admin/mappings/taxzonemapping/")
    shot(page, "11-tax-zones")
    assert_columns_fit(page, TAX_ZONE_COLUMNS)
    assert_row_height(page, most=45)  # one line per row
    page.click("a.import_link")
    page.select_option("#id_integration", str(demo.pk))
    page.set_input_files("#id_import_file", str(bad))
    page.click("input[type=submit]")
    problems = page.locator("ul.import-problems li")
    expect(problems.first).to_be_visible()
    texts = problems.all_inner_texts()
    shot(page, "12-mapping-import-problems", full_page=True)
    assert any(t.startswith("Row 3") and "XX" in t for t in texts), texts  # line 3 of the file
    assert any(t.startswith("Row 5") and "B2X" in t for t in texts), texts  # the blank line 4 counts
    assert all(t.strip() for t in texts)


LONG_NAME = "Centra Nordics and Baltics → Visma.net ERP (production company 1, EUR)"
LONG_ERROR = (
    "Order 20019: unknown payment method 'swish-business-recurring': add it in Mappings › Payment methods, "
    "then resync the record. " + "The shop's order carries more detail than fits a list cell. " * 6
)


def test_records_record_logs_and_number_series_fit_at_1366_px_with_long_names_and_errors(laptop, live_server, demo):
    """The worst rows those lists get: a long integration and connection name, long errors, many attempts, a
    running run's long listing progress, a payout of a long merchant account still to be booked by hand."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from sync.models import NumberSeriesCheck, PayoutFormat, RecordLog
    from sync.payouts.services import payout_format_from_preset

    page, base = laptop, live_server.url
    demo.name = LONG_NAME
    demo.save(update_fields=["name"])
    run = SyncRun.objects.create(integration=demo, flow="orders", trigger="schedule", status="partial")
    for number in range(20010, 20016):
        source = f"order-{number}-a1b2c3d4e5f6"
        log = RecordLog.objects.create(
            run=run,
            integration=demo,
            flow="orders",
            source_id=source,
            source_label=f"{number} (anna.karlsson-lindqvist@example.com)",
            status="failed",
            attempt=5,
            error=LONG_ERROR,
        )
        SyncRecord.objects.create(
            integration=demo,
            flow="orders",
            source_id=source,
            source_label=log.source_label,
            target_id="INV-100000123",
            status="dead",
            attempts=5,
            last_error=LONG_ERROR,
            last_log=log,
            next_attempt_at=timezone.now() + timedelta(hours=2),
        )
    Connection.objects.filter(pk=demo.erp_id).update(name="Visma.net ERP production company 1 (EUR, Nordics)")
    NumberSeriesCheck.objects.create(
        connection_id=demo.erp_id,
        integration=demo,
        numbering_id="CUSTOMER-NORDICS",
        description="Customers of the Nordic shops",
        last_number="1999990",
        end_number="1999999",
        remaining=9,
        status=NumberSeriesCheck.Status.ERROR,
        overlaps_with="Centra Denmark → Visma.net ERP (production company 2), Shop FI, Shop NO, Shop EE",
        message=LONG_ERROR,
        checked_at=datetime(2026, 12, 1, 9, 15, tzinfo=UTC),
    )

    SyncRun.objects.create(
        integration=demo,
        flow="orders",
        trigger="schedule",
        status="running",
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        total=143,
        done=143,
        message="Listing: 12 pages read, 1200 records so far",
    )
    for reference, status in (("4471203356", "imported"), ("4471203357", "partial"), ("4471203358", "booked")):
        Payout.objects.create(
            integration=demo,
            format=payout_format_from_preset(name=f"Adyen {reference}", preset=PayoutFormat.Preset.ADYEN),
            provider="adyen",
            merchant_account="KopplaNordicsAndBalticsECOM",
            reference=reference,
            currency="EUR",
            bank_amount=Decimal("1234567.89"),
            status=status,
        )

    for url, columns, name in (
        ("/admin/sync/syncrun/", SYNC_RUN_COLUMNS, "16-sync-runs-long"),
        ("/admin/sync/payout/", PAYOUT_COLUMNS, "17-payouts-long"),
        ("/admin/sync/syncrecord/", RECORDS_COLUMNS, "13-records-long"),
        ("/admin/sync/recordlog/", RECORD_LOG_COLUMNS, "14-record-logs-long"),
        ("/admin/sync/numberseriescheck/", NUMBER_SERIES_COLUMNS, "15-number-series-long"),
    ):
        page.goto(f"{base}{url}")
        shot(page, name)
        assert_columns_fit(page, columns)
        assert_row_height(page, most=80)  # a dead record's status takes up to 4 short lines; messages stay cut
    # The number series' last column (Checked at) is decisive: it must not lie beyond the list's own edge.
    last = page.locator("#result_list thead th").last.evaluate(
        "th => th.getBoundingClientRect().right - th.closest('.results').getBoundingClientRect().right"
    )
    assert last <= 1, f"Checked at ends {last:.0f} px beyond the list's edge"
    expect(page.locator("#result_list")).to_contain_text("2026-12-01 10:15")
