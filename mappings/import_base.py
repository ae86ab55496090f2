"""The base of every mapping resource: one integration's rows, upserted by natural key, all or nothing.

Rows are numbered as lines of the file (the header is line 1, blank lines before it count), the same
numbering as the payout import. Every problem becomes one sentence in `result.problems`, e.g.
"Row 3, column rate (value 'abc'): 'abc' is not a number: ..."; the admin and the import command show
those sentences and nothing else.

Headers are matched to the columns ignoring upper/lower case and surrounding spaces and invisible
characters ("Code ,Description\u200b" reads as code, description); other names are refused as unknown.
Cells lose the same padding (a no-break space, a trailing tab, a byte order mark); an invisible format
character inside a value (a zero-width space in 'OSS\u200bFR') is refused naming its row and column
(mappings.file_problems), and so is a code, id or account that Excel rewrote in scientific notation
('3.001E+3'; every column but the free-text ones). Values in messages have control characters escaped (text_shown). `result.notes` carries the reader's
notes (e.g. which sheet of a workbook was read) for the admin's preview and the import command.

Permissions (admin imports, which pass `user`): a row that creates needs the model's "add" permission,
a row that changes needs "change"; a refused row is a row problem, so nothing is written, and
`result.permission_refused` tells the admin to answer 403.

Queries: a file costs a fixed number of queries, not some per row. The integration's existing rows are
read once (by natural key, ignoring case) and so are the rows foreign-key columns point to
(IntegrationForeignKeyWidget). Each row is checked with `full_clean` without the model's unique and
check constraints: those cost a query per row and constraint, and they repeat what the field
validators, the key match and the in-file duplicate check already say in better words; the database
still enforces them when the confirm step writes (a violation is a row problem there, nothing written).
The preview (dry run) writes nothing at all, so it needs no savepoint per row either.
"""

import re
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_permission_codename
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.encoding import force_str
from django.utils.html import format_html
from import_export import resources, widgets

from .file_problems import excel_scientific_problem, invisible_inside, invisible_strip, text_shown
from .tabular import cell_unquote


class FileFormatError(ValueError):
    """The file as a whole cannot be imported (wrong columns, no integration)."""


class WholeNumberWidget(widgets.IntegerWidget):
    """A whole number; '2', '2.0' and '2,0' are 2. Anything else: a ValueError sentence."""

    def clean(self, value, row=None, **kwargs):
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise ValueError("not a whole number, e.g. 0, 2 or 3.") from None
        if not number.is_finite() or number != number.to_integral_value() or abs(number) > 10**9:
            raise ValueError("not a whole number, e.g. 0, 2 or 3.")
        return int(number)


class IntegrationForeignKeyWidget(widgets.ForeignKeyWidget):
    """Looks a related mapping up by its code within the resource's integration, ignoring case.

    The integration's rows are read once (one query) on the first lookup and kept for the file;
    `cache_clear()` forgets them (the resource calls it when an import starts).
    """

    def __init__(self, model, field, *, integration, hint):
        super().__init__(model, field=field)
        self.integration = integration
        self.hint = hint
        self._by_code: dict[str, list] | None = None

    def cache_clear(self) -> None:
        self._by_code = None

    def clean(self, value, row=None, **kwargs):
        value = str(value).strip() if value is not None else ""
        if not value:
            return None
        if self._by_code is None:
            self._by_code = {}
            for obj in self.model.objects.filter(integration=self.integration):
                self._by_code.setdefault(str(getattr(obj, self.field)).casefold(), []).append(obj)
        matches = self._by_code.get(value.casefold(), [])
        exact = [m for m in matches if getattr(m, self.field) == value]
        if len(exact) == 1 or len(matches) == 1:
            return (exact or matches)[0]
        if not matches:
            raise ValueError(f"'{value}' does not exist for this integration: {self.hint}")
        raise ValueError(f"'{value}' matches several rows that differ only in upper/lower case: write it exactly.")


class ReadableDiff(resources.Diff):
    """The import preview's cells: a changed value as "old → new" (old struck through, new underlined, an arrow
    between, "(empty)" for a blank side), never the two run together as "3105999"; other cells show the value."""

    def as_html(self):
        cells = []
        for old, new in zip(self.left, self.right, strict=False):
            old, new = force_str(old if old is not None else ""), force_str(new if new is not None else "")
            if self.new or old == new:
                cells.append(format_html("{}", new))
                continue
            cells.append(
                format_html(
                    '<span class="koppla-diff"><del class="koppla-old">{}</del> → <ins class="koppla-new">{}</ins></span>',
                    old or "(empty)",
                    new or "(empty)",
                )
            )
        return cells


class IntegrationScopedResource(resources.ModelResource):
    # Columns whose values are codes: compared and stored upper-case.
    upper_columns: tuple[str, ...] = ()
    # Columns a file may leave out (they keep their default or current value).
    optional_columns: tuple[str, ...] = ()
    # Columns of free text for people; every other column holds a code, an id, an account or a number, where a
    # value in Excel's scientific notation ('3.001E+3', '1.11111E+15') is a rewrite that lost digits.
    free_text_columns: tuple[str, ...] = ("description", "name", "legal_source")
    # Shown in CSV templates and docs.
    label = ""

    def __init__(self, integration=None, **kwargs):
        super().__init__(**kwargs)
        self.integration = integration
        self._seen_keys: dict[tuple, int] = {}
        self._raw_rows: dict[int, dict] = {}
        self._lines: list[int] = []
        self._existing: dict[tuple, list] | None = None
        self._attributes = {field.column_name: field.attribute for field in self.get_import_fields()}
        self.permission_refused = False

    @property
    def columns(self) -> list[str]:
        return list(self._meta.fields)

    def get_diff_class(self):
        return ReadableDiff

    def get_queryset(self):
        return self._meta.model.objects.filter(integration=self.integration)

    def line_of(self, row_number: int) -> int:
        """The file line of data row `row_number` (1-based); header line 1 when the dataset does not say."""
        if 0 < row_number <= len(self._lines):
            return self._lines[row_number - 1]
        return row_number + 1

    # -- export -------------------------------------------------------------
    def export(self, queryset=None, **kwargs):
        """The rows as a dataset of their stored values; related rows (a tax zone's customer class) are read in the
        same query, not one query per row. The file formats (mappings.tabular.SafeCSV, SafeXLSX) guard formula-like
        cells, once, as they write the file."""
        if queryset is None:
            queryset = self.get_queryset()
        if hasattr(queryset, "select_related"):
            queryset = queryset.select_related(*self.related_names())
        return super().export(queryset, **kwargs)

    def related_names(self) -> list[str]:
        """The model's foreign keys other than the integration (the integration is the resource's own)."""
        return [f.name for f in self._meta.model._meta.concrete_fields if f.many_to_one and f.name != "integration"]

    # -- whole-file checks -------------------------------------------------
    def header_names(self, headers) -> list[str]:
        """The file's header cells as column names: 'Code ' → 'code'; a name that is no column stays as given."""
        columns = {column.casefold(): column for column in self.columns}
        names = [invisible_strip(str(h or "")) for h in (headers or [])]
        return [columns.get(name.casefold(), name) for name in names]

    def header_problems(self, headers) -> list[str]:
        headers = self.header_names(headers)
        problems = []
        unknown = [h for h in headers if h not in self.columns]
        missing = [c for c in self.columns if c not in headers and c not in self.optional_columns]
        repeated = [
            f"{name} (columns {' and '.join(str(i + 1) for i, h in enumerate(headers) if h == name)})"
            for name in sorted({h for h in headers if headers.count(h) > 1})
        ]
        if unknown:
            problems.append(f"Unknown column(s): {', '.join(unknown)}.")
        if missing:
            problems.append(f"Missing column(s): {', '.join(missing)}.")
        if repeated:
            problems.append(f"Column(s) given twice: {', '.join(repeated)}.")
        if problems:
            problems.append(f"Expected columns: {', '.join(self.columns)}.")
        return problems

    def import_data_inner(self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs):
        self._lines = list(getattr(dataset, "line_numbers", []))
        header_line = getattr(dataset, "header_line", 1)
        self._seen_keys, self._raw_rows, self.permission_refused = {}, {}, False
        self._existing = None
        for field in self.fields.values():
            if hasattr(field.widget, "cache_clear"):
                field.widget.cache_clear()
        if dry_run:  # the preview writes nothing (see save_instance), so rows need no savepoint of their own
            using_transactions = False
        if dataset.headers:
            dataset.headers = self.header_names(dataset.headers)
        header = self.header_problems(dataset.headers)
        problems = [f"Line {header_line}, the header row: {' '.join(header)}"] if header else []
        if self.integration is None:
            problems.insert(0, "Choose the integration the file is for.")
        if problems:
            result = self.get_result_class()()
            result.diff_headers = self.get_diff_headers()
            result.total_rows = len(dataset)
            self.handle_import_error(result, FileFormatError(" ".join(problems)), raise_errors)
        else:
            result = super().import_data_inner(
                dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
            )
        result.problems = [text_shown(problem) for problem in self.result_problems(result)]
        result.notes = [text_shown(note) for note in getattr(dataset, "notes", [])]
        result.permission_refused = self.permission_refused
        return result

    def result_problems(self, result) -> list[str]:
        """Every problem of the result as a sentence naming the row (file line), column and value."""
        sentences = [str(error.error) for error in result.base_errors]
        for error_row in result.error_rows:
            error_row.number = self.line_of(error_row.number)
            sentences.extend(f"Row {error_row.number}: {_sentence(e.error)}" for e in error_row.errors)
        columns = {field.attribute: field.column_name for field in self.get_import_fields()}
        for invalid in result.invalid_rows:
            raw = self._raw_rows.get(invalid.number, {})
            invalid.number = self.line_of(invalid.number)
            for name, messages in invalid.error_dict.items():
                if name == NON_FIELD_ERRORS:
                    sentences.extend(f"Row {invalid.number}: {_sentence(m)}" for m in messages)
                    continue
                column = columns.get(name, name)
                value = str(raw.get(column) if raw.get(column) is not None else "").strip()
                shown = f"value '{value}'" if value else "empty"
                sentences.extend(f"Row {invalid.number}, column {column} ({shown}): {_sentence(m)}" for m in messages)
        return sentences

    # -- per-row checks ----------------------------------------------------
    def import_row(self, row, instance_loader, **kwargs):
        self._raw_rows[kwargs.get("row_number")] = dict(row)
        return super().import_row(row, instance_loader, **kwargs)

    def before_import_row(self, row, **kwargs):
        invisible = {}
        for column in list(row):
            value = row[column]
            if isinstance(value, str):
                value = cell_unquote(invisible_strip(value))
                if column in self.upper_columns:
                    value = value.upper()
                row[column] = value
                problem = invisible_inside(value)
                if not problem and column not in self.free_text_columns:
                    problem = excel_scientific_problem(value)
                if problem:
                    invisible[self._attributes.get(column, column)] = problem
        if invisible:
            raise ValidationError(invisible)
        key = tuple(str(row.get(c, "")) for c in self._meta.import_id_fields)
        if key:
            number = kwargs.get("row_number")
            first = self._seen_keys.setdefault(tuple(k.casefold() for k in key), number)
            if first != number:
                described = ", ".join(f"{c} {v}" for c, v in zip(self._meta.import_id_fields, key, strict=True))
                raise ValidationError(f"{described} is already given in row {self.line_of(first)}.")

    def get_instance(self, instance_loader, row):
        """The existing row with the file's key; text keys are compared ignoring upper/lower case.

        The integration's rows are read once per file (existing_by_key), not once per row.
        """
        fields = [self.fields[name] for name in self.get_import_id_fields()]
        if not fields or any(field.column_name not in row for field in fields):
            return None
        matches = self.existing_by_key().get(tuple(_key_part(field.clean(row)) for field in fields), [])
        if len(matches) > 1:
            raise ValidationError(
                "the key matches several rows that differ only in upper/lower case: write it exactly."
            )
        return matches[0] if matches else None

    def existing_by_key(self) -> dict[tuple, list]:
        """The integration's rows by natural key (text casefolded), read with one query on first use."""
        if self._existing is None:
            fields = [self.fields[name] for name in self.get_import_id_fields()]
            self._existing = {}
            for instance in self.get_queryset().select_related(*self.related_names()):
                key = tuple(_key_part(getattr(instance, field.attribute)) for field in fields)
                self._existing.setdefault(key, []).append(instance)
        return self._existing

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The row's field and model checks, without a query per row (see the module's notes on queries)."""
        errors = dict(import_validation_errors or {})
        if self._meta.clean_model_instances:
            exclude = set(errors) | _related_already_loaded(instance)
            try:
                instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
            except ValidationError as e:
                errors = e.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def import_instance(self, instance, row, **kwargs):
        instance.integration = self.integration
        super().import_instance(instance, row, **kwargs)

    def before_save_instance(self, instance, row, **kwargs):
        user = kwargs.get("user")
        if user is None:  # the import command: whoever runs it may change the database
            return
        action = "add" if instance._state.adding else "change"
        opts = self._meta.model._meta
        if not user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}"):
            self.permission_refused = True
            raise ValidationError(
                f"you may not {action} {opts.verbose_name_plural}: your account lacks the '{action}' permission "
                "on them (the same as the admin's Add/Change pages)."
            )

    class Meta:
        abstract = True


def _key_part(value):
    """One part of a natural key as compared: text ignoring upper/lower case, anything else as it is."""
    return value.casefold() if isinstance(value, str) else value


def _related_already_loaded(instance) -> set[str]:
    """Foreign keys whose object was read from the database for this file (the integration, a customer
    class found by its code): their existence needs no query of its own in full_clean."""
    names = set()
    for field in instance._meta.concrete_fields:
        if field.many_to_one and field.is_cached(instance):
            related = field.get_cached_value(instance)
            if related is not None and related.pk is not None and not related._state.adding:
                names.add(field.name)
    return names


def _sentence(message) -> str:
    """A message as the tail of a sentence: first letter lower-case unless it starts a code or a quote."""
    text = str(message).strip()
    word = re.match(r"[A-Za-z]+", text)
    if word and word[0][0].isupper() and (len(word[0]) == 1 or word[0][1:].islower()):
        text = text[0].lower() + text[1:]
    return text
