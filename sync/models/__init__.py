"""The models of the `sync` app, one module per area; every model and constant is importable from here.

integrations (Integration, IntegrationFlow, Flow), runs (SyncRun, RecordLog, SyncRecord), webhooks,
bindings (ExternalRef), journal (JournalEntry, JournalShare, JournalVatAccount), operations (Lease, NumberSeriesCheck, Notification), bulk (BulkAction),
demo (DemoSeed),
record_days (RecordDay, RecordDayFill: the daily aggregate of record logs); the payout models live in sync/payouts/models.py.
"""

# In the order the models were always registered (isort would sort them).
from .integrations import DEFAULT_INTERVALS, Flow, Integration, IntegrationFlow, OrderDocument, _default_statuses, validate_country  # noqa: I001
from .runs import RecordLog, SyncRecord, SyncRun
from .webhooks import WebhookEvent
from .bindings import BindingIntent, ExternalRef
from .operations import Lease, Notification, NumberSeriesCheck
from sync.payouts.models import Payout, PayoutFormat, PayoutLine, PayoutUpload
from .bulk import BulkAction
from .demo import DemoSeed
from .journal import JournalEntry, JournalShare, JournalVatAccount
from .record_days import RecordDay, RecordDayFill

__all__ = [
    "DEFAULT_INTERVALS",
    "BindingIntent",
    "BulkAction",
    "DemoSeed",
    "ExternalRef",
    "Flow",
    "Integration",
    "IntegrationFlow",
    "JournalEntry",
    "JournalShare",
    "JournalVatAccount",
    "Lease",
    "Notification",
    "NumberSeriesCheck",
    "OrderDocument",
    "Payout",
    "PayoutFormat",
    "PayoutLine",
    "PayoutUpload",
    "RecordDay",
    "RecordDayFill",
    "RecordLog",
    "SyncRecord",
    "SyncRun",
    "WebhookEvent",
    "_default_statuses",
    "validate_country",
]
