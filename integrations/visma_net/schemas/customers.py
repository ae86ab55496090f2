"""Visma.net customer write payloads: addresses, contacts, the customer and a contact person."""

from __future__ import annotations

from dataclasses import dataclass

from .values import wrapped


@dataclass(frozen=True)
class Address:
    """AddressUpdateDto."""

    line1: str | None = None
    line2: str | None = None
    line3: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    county: str | None = None

    def body(self) -> dict:
        return wrapped(
            addressLine1=self.line1,
            addressLine2=self.line2,
            addressLine3=self.line3,
            postalCode=self.postal_code,
            city=self.city,
            countryId=self.country,
            county=self.county,
        )


@dataclass(frozen=True)
class Contact:
    """ContactInfoUpdateDto."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    attention: str | None = None

    def body(self) -> dict:
        return wrapped(name=self.name, email=self.email, phone1=self.phone, attention=self.attention)


@dataclass(frozen=True)
class CustomerPayload:
    """CustomerUpdateDto, for POST /v1/customer (create) and PUT /v1/customer/{number} (update).

    `number` is normally left empty: the ERP takes the next number of its
    customer numbering. Every field left None is not sent (PUT keeps it).
    """

    name: str | None = None
    number: str | None = None
    status: str | None = None  # Active, OnHold, CreditHold, Inactive, OneTime
    customer_class: str | None = None
    vat_zone: str | None = None
    credit_terms: str | None = None
    currency: str | None = None
    vat_registration_id: str | None = None
    corporate_id: str | None = None
    main_address: Address | None = None
    main_contact: Contact | None = None
    invoice_address: Address | None = None
    invoice_contact: Contact | None = None
    delivery_address: Address | None = None
    delivery_contact: Contact | None = None
    payment_method: str | None = None  # the customer's default payment method
    note: str | None = None

    def body(self) -> dict:
        body = wrapped(
            number=self.number,
            name=self.name,
            status=self.status,
            customerClassId=self.customer_class,
            vatZoneId=self.vat_zone,
            creditTermsId=self.credit_terms,
            currencyId=self.currency,
            vatRegistrationId=self.vat_registration_id,
            corporateId=self.corporate_id,
            note=self.note,
        )
        for key, part in (
            ("mainAddress", self.main_address),
            ("mainContact", self.main_contact),
            ("invoiceAddress", self.invoice_address),
            ("invoiceContact", self.invoice_contact),
            ("deliveryAddress", self.delivery_address),
            ("deliveryContact", self.delivery_contact),
        ):
            if part is not None:
                body[key] = {"value": part.body()}
        if self.payment_method is not None:
            body["defaultPaymentMethod"] = {"value": wrapped(paymentMethodId=self.payment_method, isDefault=True)}
        return body


@dataclass(frozen=True)
class ContactPerson:
    """ContactUpdateDto for POST /v1/contact: a person (first and last name) of a customer (`customer_number`,
    its businessAccount). CustomerUpdateDto has no list of persons, only its contact info (mainContact)."""

    customer_number: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    active: bool | None = True

    def body(self) -> dict:
        return wrapped(
            businessAccount=self.customer_number,
            firstName=self.first_name,
            lastName=self.last_name,
            email=self.email,
            phone1=self.phone,
            active=self.active,
        )
