from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "mappings" / "fixtures"
TAX_HEADER = "country,customer_type,customer_class,vat_zone,vat_category,sales_account\n"


@pytest.fixture
def eu_csv() -> str:
    return (FIXTURES / "eu_tax_zones.csv").read_text()


@pytest.fixture
def classes_csv() -> str:
    return (FIXTURES / "customer_classes.csv").read_text()


@pytest.fixture
def integration_with_classes(integration, classes_csv):
    from mappings.services import mapping_import

    result = mapping_import(integration=integration, table="customer_classes", content=classes_csv)
    assert not result.has_errors() and not result.has_validation_errors()
    return integration
