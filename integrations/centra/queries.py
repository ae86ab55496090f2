"""The GraphQL operations Koppla sends to Centra, one named operation each.

The operation name is what the sandbox's fault rules match on (SandboxFault.endpoint),
what the request log shows, and what `OPERATIONS` lists for the schema test.
"""

from __future__ import annotations

import re

MONEY = "{ value }"
MONEY_WITH_CURRENCY = "{ value currency { code } }"
MONEY_WITH_RATE = "{ value currency { code } conversionRate }"

ADDRESS = """{
    firstName lastName companyName address1 address2 city zipCode
    country { code } email phoneNumber vatNumber
  }"""

ORDER_FIELDS = f"""
  __typename
  id number status isOnHold createdAt updatedAt orderDate
  store {{ id type }}
  grandTotal {MONEY_WITH_RATE}
  totals {{ grandTotal {MONEY} shipping {MONEY} taxIncluded {MONEY} taxAdded {MONEY} }}
  shippingPriceGroup {{ shippingOption {{ id name uri }} }}
  paymentMethod {{ uri plugin }}
  discountsApplied {{ value {MONEY} discount {{ name code }} }}
  ... on DirectToConsumerOrder {{ customer {{ id email firstName lastName }} }}
  ... on WholesaleOrder {{ buyer {{ id email firstName lastName }} account {{ id name }} purchaseOrderNumber }}
  billingAddress {ADDRESS}
  shippingAddress {ADDRESS}
  lines {{
    id quantity taxPercent discountPercent productName productVariantName
    productSize {{ id SKU sizeNumber description }}
    product {{ id productNumber }}
    productVariant {{ id variantNumber }}
    unitOriginalPrice {MONEY} unitPrice {MONEY} lineValue {MONEY}
  }}
"""

RETURN_FIELDS = f"""
  __typename
  id createdAt updatedAt status refunded
  order {{ number store {{ type }} }}
  currency {{ code }}
  lines {{
    id quantity taxPercent
    orderLine {{ id productName }}
    productSize {{ SKU }}
    unitPrice {MONEY} lineValue {MONEY}
  }}
  shippingCost {MONEY}
  grandTotal {MONEY}
"""

CUSTOMER_FIELDS = f"""
  id email firstName lastName updatedAt
  billingAddress {ADDRESS}
"""

SIZE_FIELDS = "id sizeNumber SKU EAN size { name }"

VARIANT_FIELDS = f"""
  id variantNumber name description status
  unitCost {MONEY_WITH_CURRENCY}
  productSizes {{ {SIZE_FIELDS} }}
"""

PRODUCT_FIELDS = f"""
  id productNumber name description status updatedAt
  variants {{ {VARIANT_FIELDS} }}
"""

USER_ERRORS = "userErrors { message path } userWarnings { message path }"

# --------------------------------------------------------------------------- queries
PING = """
query Ping {
  stores { id name type }
  rateLimits { type intervalSeconds quota usedQuota remainingQuota }
}
"""

ORDERS_CHANGED = f"""
query OrdersChanged($where: OrderFilter, $limit: Int!, $page: Int!) {{
  orders(where: $where, sort: [updatedAt_ASC, number_ASC], limit: $limit, page: $page) {{ {ORDER_FIELDS} }}
}}
"""

ORDER_GET = f"""
query OrderGet($number: Int!) {{
  orders(where: {{ number: [$number] }}, limit: 1, page: 1) {{ {ORDER_FIELDS} }}
}}
"""

ORDER_ATTRIBUTES_GET = """
query OrderAttributesGet($number: Int!) {
  orders(where: { number: [$number] }, limit: 1, page: 1) {
    number
    attributes { type { name } elements { key value } }
  }
}
"""

CUSTOMERS_CHANGED = f"""
query CustomersChanged($where: CustomerFilter, $limit: Int!, $page: Int!) {{
  customers(where: $where, sort: [updatedAt_ASC, id_ASC], limit: $limit, page: $page) {{ {CUSTOMER_FIELDS} }}
}}
"""

CUSTOMER_GET = f"""
query CustomerGet($id: ID!) {{
  customers(where: {{ id: [$id] }}, limit: 1, page: 1) {{ {CUSTOMER_FIELDS} }}
}}
"""

RETURNS_CHANGED = f"""
query ReturnsChanged($where: ReturnFilter, $limit: Int!, $page: Int!) {{
  returns(where: $where, sort: [updatedAt_ASC, id_ASC], limit: $limit, page: $page) {{ {RETURN_FIELDS} }}
}}
"""

RETURN_GET = f"""
query ReturnGet($id: ID!) {{
  returns(where: {{ id: [$id] }}, limit: 1, page: 1) {{ {RETURN_FIELDS} }}
}}
"""

WAREHOUSES = """
query Warehouses {
  warehouses { id name }
}
"""

PRICELISTS = """
query Pricelists {
  pricelists { id name currency { code } store { id type } }
}
"""

PRODUCT_FIND = f"""
query ProductFind($productNumber: String!) {{
  products(where: {{ productNumber: {{ equals: $productNumber }} }}, limit: 10, page: 1) {{ {PRODUCT_FIELDS} }}
}}
"""

PRODUCTS_LIST = f"""
query ProductsList($limit: Int!, $page: Int!) {{
  products(sort: [id_ASC], limit: $limit, page: $page) {{ {PRODUCT_FIELDS} }}
}}
"""

# --------------------------------------------------------------------------- mutations
PRODUCT_CREATE = f"""
mutation ProductCreate($input: ProductCreateInput!) {{
  createProduct(input: $input) {{ product {{ {PRODUCT_FIELDS} }} {USER_ERRORS} }}
}}
"""

PRODUCT_UPDATE = f"""
mutation ProductUpdate($id: ID!, $input: ProductUpdateInput!) {{
  updateProduct(id: $id, input: $input) {{ product {{ {PRODUCT_FIELDS} }} {USER_ERRORS} }}
}}
"""

VARIANT_CREATE = f"""
mutation VariantCreate($input: ProductVariantCreateInput!) {{
  createProductVariant(input: $input) {{ productVariant {{ {VARIANT_FIELDS} }} {USER_ERRORS} }}
}}
"""

VARIANT_UPDATE = f"""
mutation VariantUpdate($id: ID!, $input: ProductVariantUpdateInput!) {{
  updateProductVariant(id: $id, input: $input) {{ productVariant {{ {VARIANT_FIELDS} }} {USER_ERRORS} }}
}}
"""

SIZE_CREATE = f"""
mutation SizeCreate($input: ProductSizeCreateInput!) {{
  createProductSize(input: $input) {{ productSize {{ {SIZE_FIELDS} }} {USER_ERRORS} }}
}}
"""

SIZE_UPDATE = f"""
mutation SizeUpdate($id: ID!, $input: ProductSizeUpdateInput!) {{
  updateProductSize(id: $id, input: $input) {{ productSize {{ {SIZE_FIELDS} }} {USER_ERRORS} }}
}}
"""

PRICES_SET = f"""
mutation PricesSet($input: SetPricesInput!) {{
  setPrices(input: $input) {{ {USER_ERRORS} }}
}}
"""

STOCK_SET = f"""
mutation StockSet($input: SetStockInput!) {{
  setStock(input: $input) {{ stockChanges {{ id }} {USER_ERRORS} }}
}}
"""

ORDER_ATTRIBUTES_SET = f"""
mutation OrderAttributesSet($input: AssignAttributesInput!) {{
  assignAttributes(input: $input) {{ {USER_ERRORS} }}
}}
"""

OPERATIONS: dict[str, str] = {}
for _text in list(globals().values()):
    if isinstance(_text, str):
        _match = re.match(r"\s*(query|mutation)\s+(\w+)", _text)
        if _match:
            OPERATIONS[_match.group(2)] = _text


def operation_name(document: str) -> str:
    """The name of the (single) operation in a document."""
    match = re.match(r"\s*(?:query|mutation)\s+(\w+)", document)
    return match.group(1) if match else ""
