"""Payout format presets: the columns and type values of the providers' settlement reports.

Sources: Adyen "Settlement details report" columns and journal types; Klarna settlement report
(CSV) columns and transaction types; Stripe balance-transactions export columns and types.
Each preset fills a PayoutFormat; every value can be changed per format in the admin.
"""

from sync.models import PayoutFormat, PayoutLine

PRESETS: dict[str, dict] = {
    PayoutFormat.Preset.GENERIC: {
        "delimiter": ",",
        "decimal_separator": ".",
        "date_format": "%Y-%m-%d",
        "col_type": "type",
        "col_order": "order_number",
        "col_psp_reference": "psp_reference",
        "col_merchant_account": "",
        "col_gross": "gross",
        "col_gross_debit": "",
        "col_net": "",
        "col_net_debit": "",
        "col_fee": "fee",
        "col_currency": "currency",
        "col_net_currency": "",
        "col_date": "date",
        "col_payout": "payout",
        "type_payment": "payment",
        "type_refund": "refund",
        "type_chargeback": "chargeback",
        "type_fee": "fee",
        "type_adjustment": "adjustment",
        "type_payout": "payout",
    },
    # Adyen "Settlement details report": one row per journal entry, gross in the gross currency,
    # fees and net in the net currency; Fee/MiscCosts rows carry their amount in the net columns.
    PayoutFormat.Preset.ADYEN: {
        "delimiter": ",",
        "decimal_separator": ".",
        "date_format": "%Y-%m-%d %H:%M:%S",
        "col_type": "Type",
        "col_order": "Merchant Reference",
        "col_psp_reference": "Psp Reference",
        "col_merchant_account": "Merchant Account",
        "col_gross": "Gross Credit (GC)",
        "col_gross_debit": "Gross Debit (GC)",
        "col_net": "Net Credit (NC)",
        "col_net_debit": "Net Debit (NC)",
        "col_fee": "Commission (NC),Markup (NC),Scheme Fees (NC),Interchange (NC)",
        "col_currency": "Gross Currency",
        "col_net_currency": "Net Currency",
        "col_date": "Creation Date",
        "col_payout": "Batch Number",
        "type_payment": "Settled,SettledBulk",
        "type_refund": "Refunded,RefundedBulk",
        "type_chargeback": "Chargeback,SecondChargeback",
        "type_fee": "Fee,MiscCosts,PaymentCost",
        "type_adjustment": "ChargebackReversed,RefundedReversed,DepositCorrection,Balancetransfer,ManualCorrected,"
        "InvoiceDeduction,ReserveAdjustment",
        "type_payout": "MerchantPayout",
    },
    # Klarna settlement report (CSV): signed `amount`, fees on rows of their own, `merchant_id` per row.
    PayoutFormat.Preset.KLARNA: {
        "delimiter": ",",
        "decimal_separator": ".",
        "date_format": "%Y-%m-%d",
        "col_type": "type",
        "col_order": "merchant_reference1",
        "col_psp_reference": "order_id",
        "col_merchant_account": "merchant_id",
        "col_gross": "amount",
        "col_gross_debit": "",
        "col_net": "",
        "col_net_debit": "",
        "col_fee": "",
        "col_currency": "currency_code",
        "col_net_currency": "",
        "col_date": "capture_date",
        "col_payout": "payment_reference",
        "type_payment": "SALE",
        "type_refund": "RETURN",
        "type_chargeback": "CHARGEBACK,REVERSAL",
        "type_fee": "FEE,COMMISSION,TAX",
        "type_adjustment": "CORRECTION,FEE_REFUND,REVERSAL_MERCHANT_PROTECTION,DEBT_COLLECTION",
        "type_payout": "",
    },
    # Stripe balance transactions export (one Stripe account per export: no account column).
    PayoutFormat.Preset.STRIPE: {
        "delimiter": ",",
        "decimal_separator": ".",
        "date_format": "%Y-%m-%d %H:%M:%S",
        "col_type": "Type",
        "col_order": "order_number (metadata)",
        "col_psp_reference": "Source",
        "col_merchant_account": "",
        "col_gross": "Amount",
        "col_gross_debit": "",
        "col_net": "Net",
        "col_net_debit": "",
        "col_fee": "Fee",
        "col_currency": "Currency",
        "col_net_currency": "",
        "col_date": "Created (UTC)",
        "col_payout": "Transfer",
        "type_payment": "charge,payment",
        "type_refund": "refund,payment_refund",
        "type_chargeback": "dispute",
        "type_fee": "stripe_fee,stripe_fx_fee,tax_fee,application_fee",
        "type_adjustment": "adjustment,reserve_transaction,reserved_funds,payment_failure_refund",
        "type_payout": "payout",
    },
}

# Type values (case-insensitive) of the totals / footer rows spreadsheet exports add: never counted.
TOTALS_TYPES = {"total", "totals", "sum", "subtotal", "sub-total", "grand total", "summa", "totalt", "totaal", "summe"}

KIND_FIELDS = {
    PayoutLine.Kind.PAYMENT: "type_payment",
    PayoutLine.Kind.REFUND: "type_refund",
    PayoutLine.Kind.CHARGEBACK: "type_chargeback",
    PayoutLine.Kind.FEE: "type_fee",
    PayoutLine.Kind.ADJUSTMENT: "type_adjustment",
    PayoutLine.Kind.PAYOUT: "type_payout",
}


def payout_format_from_preset(*, name: str, preset: str) -> PayoutFormat:
    return PayoutFormat.objects.create(name=name, preset=preset, **PRESETS[preset])


# The sign each row kind's amount has in a provider's file (+1 positive, -1 negative; zero is always
# accepted; adjustments take either sign). Generic: every amount positive (Koppla's columns); Adyen: the
# credit or debit column (a debit is negative: refunds, chargebacks, fees, the transfer to the bank leave
# the Adyen balance); Klarna and Stripe: signed amounts seen from the provider balance. A row whose sign
# contradicts its kind is refused: it would otherwise be read as the opposite movement.
_PROVIDER_SIGNS = {  # what providers write: money in positive, money out (refunds, fees, the transfer) negative
    PayoutLine.Kind.PAYMENT: 1,
    PayoutLine.Kind.REFUND: -1,
    PayoutLine.Kind.CHARGEBACK: -1,
    PayoutLine.Kind.FEE: -1,
    PayoutLine.Kind.PAYOUT: -1,
}
SIGNS: dict[str, dict[str, int]] = {
    PayoutFormat.Preset.GENERIC: dict.fromkeys(_PROVIDER_SIGNS, 1),  # Koppla's own columns: every amount positive
    PayoutFormat.Preset.ADYEN: _PROVIDER_SIGNS,
    PayoutFormat.Preset.KLARNA: _PROVIDER_SIGNS,
    PayoutFormat.Preset.STRIPE: _PROVIDER_SIGNS,
}


def payout_provider(fmt: PayoutFormat) -> str:
    """The provider part of a payout's identity: the preset, or generic-<format id> for Koppla's own columns
    (two Generic formats may read two different providers)."""
    return fmt.preset if fmt.preset != PayoutFormat.Preset.GENERIC else f"generic-{fmt.pk}"
