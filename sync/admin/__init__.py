"""The Sync admin pages, one module per area; importing this package registers them all.

common (status badges, compact list cells, the run permission), bulk (actions confirmed on many rows),
integrations (integrations and flow switches), runs, records (record logs and records, resync),
webhooks, bindings, numberseries, journal (sales journal entries, shares, VAT accounts); the payout pages are
sync/payouts/admin.py.
"""

# In the order the pages were always registered (isort would sort them).
from . import bulk, integrations, runs, webhooks, bindings, numberseries, records, journal  # noqa: I001, F401
from sync.payouts import admin as payouts_admin  # noqa: F401
