"""Test doubles shared across the suite."""


class FakeClock:
    """A clock that never sleeps: `sleep` advances time and remembers how long it was asked to wait."""

    def __init__(self, start: float = 1_800_000_000.0):
        self.now = start
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


class FakeJournalErp:
    """An ERP adapter that takes sales journal entries (ports.JOURNAL_TRANSACTION) and nothing else, in memory.

    `transactions`: number → the JournalDraft created. Faults: `problems[reference]` (what `_problems` names),
    `refuse[reference]` (create raises ValidationFailed with that text), `lose_answer` (references whose create
    succeeds but whose answer is lost: RemoteDown, maybe sent). `vat_accounts`: the ERP's VAT account per VAT
    category (the optional `journal_vat_account`). `creates` counts create calls per reference.
    """

    system = "visma_net"
    display_name = "Fake ERP"

    def __init__(self, *, vat_accounts: dict[str, str] | None = None):
        from sync import ports

        self.capabilities = frozenset({ports.JOURNAL_TRANSACTION})
        self.transactions = {}
        self.problems: dict[str, list[str]] = {}
        self.refuse: dict[str, str] = {}
        self.lose_answer: set[str] = set()
        self.vat_accounts = dict(vat_accounts or {})
        self.creates: dict[str, int] = {}
        self.finds: list[str] = []

    def journal_vat_account(self, vat_category: str) -> str:
        return self.vat_accounts.get(vat_category, "")

    def journal_transaction_problems(self, draft) -> list[str]:
        return list(self.problems.get(draft.reference, []))

    def journal_transaction_request(self, draft) -> dict:
        return {
            "reference": draft.reference,
            "transactionDate": draft.transaction_date,
            "currency": draft.currency,
            "description": draft.text,
            "lines": [
                {
                    "account": line.account,
                    "debit": str(line.debit),
                    "credit": str(line.credit),
                    "vatCategory": line.vat_category,
                    "description": line.description,
                }
                for line in draft.lines
            ],
        }

    def journal_transaction_create(self, draft) -> str:
        from integrations.http import RemoteDown, ValidationFailed

        self.creates[draft.reference] = self.creates.get(draft.reference, 0) + 1
        if draft.reference in self.refuse:
            raise ValidationFailed(self.refuse[draft.reference], system=self.system, status=400)
        debit = sum((line.debit for line in draft.lines), 0)
        credit = sum((line.credit for line in draft.lines), 0)
        if debit != credit:
            raise ValidationFailed("Batch is out of balance.", system=self.system, status=400)
        number = str(100000 + len(self.transactions) + 1)
        self.transactions[number] = draft
        if draft.reference in self.lose_answer:
            self.lose_answer.discard(draft.reference)
            raise RemoteDown("The server did not answer in time.", system=self.system, maybe_sent=True)
        return number

    def _document(self, number: str, draft):
        from sync.erp import JOURNAL_TRANSACTION, ErpDocument

        return ErpDocument(
            kind=JOURNAL_TRANSACTION,
            number=number,
            released=True,
            currency=draft.currency,
            total=draft.total,
            order_number=draft.reference,
            date=draft.transaction_date,
        )

    def journal_transaction_find(self, reference: str):
        self.finds.append(reference)
        for number, draft in self.transactions.items():
            if draft.reference == reference:
                return self._document(number, draft)
        return None

    def journal_transaction_get(self, number: str):
        return self._document(number, self.transactions[number])

    def by_reference(self) -> dict:
        return {draft.reference: draft for draft in self.transactions.values()}
