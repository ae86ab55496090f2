"""The engine knows no remote system by name: no module under sync/ imports an integrations.<system> package.

Flows speak to the ports (sync/ports.py) and get their adapters from integrations/adapters.py,
which reads the registry (integrations/systems.py). A system package is `integrations.<key>` for
every key of the registry (centra, visma_net, fortnox, eaccounting). Each file's imports are read
from its syntax tree, so an import inside a function counts too.

Allowed:
- sync/migrations/: frozen history.
- sync/demo.py and sync/demo_eaccounting.py (its third integration): the demo seeds its sandboxes and gives the demo ERP connection a token through
  the demo systems' own sandbox modules (integrations/<system>/demo_data.py, sandbox.py,
  connect_sandbox.py); its connection URLs come from the registry.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from integrations.systems import SYSTEMS

ROOT = Path(__file__).resolve().parent.parent
SYNC = ROOT / "sync"
SYSTEM_PACKAGES = {f"integrations.{key}" for key in SYSTEMS}
ALLOWED = {"sync/demo.py", "sync/demo_eaccounting.py"}


def system_imports(source: str) -> list[str]:
    """The system packages (integrations.<system>…) that `source` imports, as written, in order."""

    def system(name: str) -> bool:
        return any(name == package or name.startswith(f"{package}.") for package in SYSTEM_PACKAGES)

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if system(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if system(node.module):
                found.append(node.module)
            else:  # `from integrations import centra` names the package among the imported names
                found += [f"{node.module}.{a.name}" for a in node.names if system(f"{node.module}.{a.name}")]
    return list(dict.fromkeys(found))


def _modules() -> list[str]:
    paths = sorted(p.relative_to(ROOT).as_posix() for p in SYNC.rglob("*.py"))
    return [p for p in paths if not p.startswith("sync/migrations/") and p not in ALLOWED]


@pytest.mark.parametrize("path", _modules())
def test_no_sync_module_imports_a_system_package(path):
    imports = system_imports((ROOT / path).read_text(encoding="utf-8"))
    assert imports == [], f"{path} imports {', '.join(imports)}: speak to the ports (sync/ports.py) instead"


def test_the_walk_sees_every_form_of_import():
    source = """
import integrations.centra.client
from integrations.visma_net.schemas import PaymentPayload
from integrations import fortnox, http
from integrations.systems import SYSTEMS
import integrations.eaccountingx


def later():
    from integrations.eaccounting import adapter
"""
    assert system_imports(source) == [
        "integrations.centra.client",
        "integrations.visma_net.schemas",
        "integrations.fortnox",
        "integrations.eaccounting",
    ]


def test_the_allowed_files_exist_and_the_flows_are_walked():
    """A renamed or removed file must leave ALLOWED too, or it would excuse nothing."""
    assert all((ROOT / path).is_file() for path in ALLOWED)
    assert {"sync/flows/orders.py", "sync/payouts/flow.py", "sync/flows/erp_documents.py"} <= set(_modules())
