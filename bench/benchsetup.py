"""What the hand-run benches share: Django on a throwaway database, migrated, and the demo shop to run flows over.

    from benchsetup import demo_integration, django_ready   # bench/ is the script's own directory on sys.path

`django_ready(database_url)` points Django at `database_url` (a throwaway SQLite file when empty), with the test
settings, migrates it and returns the URL used. `demo_integration()` seeds `make demo`'s Centra → Visma.net shop,
connected, with Swish mapped and the clients' rate limiter on a FakeClock (its waits are not what is measured).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def django_ready(database_url: str = "", *, prefix: str = "koppla-bench-", tmp_dir: Path | None = None) -> str:
    if not database_url:
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=tmp_dir))
        database_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return database_url


def demo_integration():
    """The demo shop's integration (sync.demo.demo_seed), connected, Swish mapped; the limiter never waits."""
    from integrations import clients
    from mappings.models import PaymentMethodMapping
    from sync.demo import demo_seed
    from tests.fakes import FakeClock

    clients.DEFAULT_CLOCK = FakeClock()
    integration = demo_seed(site_url="http://testserver", connect=True)
    PaymentMethodMapping.objects.create(integration=integration, shop_method="swish", erp_payment_method="INVOICE")
    return integration
