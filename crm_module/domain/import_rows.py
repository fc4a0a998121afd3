"""Rules for rows of an import file, checked without the database (`services/imports/engine.py` adds
the checks that need it: links, owners, duplicates against stored records, routing, naming).

A field is described by `Field` (what a DocType field says: type, options, required, default, length).
`coerce` turns a cell into the value a form save would store, or raises ``ValueError`` with the reason;
`check_row` does that for a whole row and applies the defaults, returning the values and the refusals
(field, reason); `domain/import_doctype_rules.py` adds what each controller's `validate` checks and
derives. `file_duplicates`, `route` and `changed_fields` work on
the whole file at once.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

TRUE = {"1", "true", "yes", "y", "on"}
FALSE = {"0", "false", "no", "n", "off", ""}
VARCHAR = 140  # Data, Link, Select columns
TEXT_TYPES = {"Small Text", "Text", "Long Text", "Text Editor", "Code", "JSON", "Markdown Editor"}
NUMBER_TYPES = {"Float", "Currency", "Percent"}


@dataclass(frozen=True)
class Field:
	fieldname: str
	fieldtype: str = "Data"
	label: str = ""
	options: str = ""
	reqd: bool = False
	default: str | None = None
	length: int = 0  # 0: the type's own limit

	@property
	def title(self) -> str:
		return f"{self.label or self.fieldname} ({self.fieldname})"

	def choices(self) -> list[str]:
		return (self.options or "").split("\n") if self.fieldtype == "Select" else []


@dataclass
class Refusal:
	row: int
	field: str
	reason: str

	def as_text(self) -> str:
		reason = self.reason.removeprefix(f"{self.field}: ")
		return f"row {self.row}: {self.field}: {reason}"


@dataclass
class Checked:
	"""A row after `check_row`: its values (fieldname -> value) and what was wrong with it."""

	row: int
	values: dict
	refusals: list[Refusal] = field(default_factory=list)

	@property
	def ok(self) -> bool:
		return not self.refusals

	def refuse(self, fieldname: str, reason: str) -> None:
		self.refusals.append(Refusal(self.row, fieldname, reason))


def empty(value) -> bool:
	return value is None or (isinstance(value, str) and not value.strip())


def parse_datetime(value) -> datetime:
	if isinstance(value, datetime):
		return value
	if isinstance(value, date):
		return datetime.combine(value, time())
	text = str(value).strip().replace("T", " ")
	try:
		return datetime.fromisoformat(text)
	except ValueError:
		raise ValueError(f"'{value}' is not a date and time (YYYY-MM-DD HH:MM:SS)") from None


def parse_date(value) -> date:
	if isinstance(value, datetime):
		return value.date()
	if isinstance(value, date):
		return value
	text = str(value).strip()
	try:
		return date.fromisoformat(text[:10]) if len(text) >= 10 else date.fromisoformat(text)
	except ValueError:
		raise ValueError(f"'{value}' is not a date (YYYY-MM-DD)") from None


def coerce(df: Field, value):
	"""The value a save stores for a non-empty cell; ``ValueError`` with the reason when it cannot."""
	kind = df.fieldtype
	if kind in ("Int", "Check"):
		if isinstance(value, bool):
			return int(value)
		if kind == "Check" and str(value).strip().lower() in TRUE | FALSE:
			return 1 if str(value).strip().lower() in TRUE else 0
		try:
			number = float(str(value).strip())
		except ValueError:
			raise ValueError(f"'{value}' is not a whole number") from None
		if number != int(number) or (kind == "Check" and number not in (0, 1)):
			raise ValueError(f"'{value}' is not {'0 or 1' if kind == 'Check' else 'a whole number'}")
		return int(number)
	if kind in NUMBER_TYPES:
		try:
			return float(str(value).strip().replace(",", ""))
		except ValueError:
			raise ValueError(f"'{value}' is not a number") from None
	if kind == "Date":
		return parse_date(value)
	if kind == "Datetime":
		return parse_datetime(value)
	text = value if isinstance(value, str) else str(value)
	if kind == "Select":
		text = text.strip()
		if text not in df.choices():
			allowed = ", ".join(c for c in df.choices() if c)
			raise ValueError(f"'{text}' is not one of {allowed}")
		return text
	if kind == "Link":
		text = text.strip()
	if kind not in TEXT_TYPES:
		limit = df.length or VARCHAR
		if len(text) > limit:
			raise ValueError(f"is longer than {limit} characters ({len(text)})")
	return text


def default_value(df: Field, now: datetime):
	"""The DocType default of a field a row leaves empty (None when it has none)."""
	default = df.default
	if default in (None, ""):
		return 0 if df.fieldtype in ("Int", "Check") else 0.0 if df.fieldtype in NUMBER_TYPES else None
	if df.fieldtype == "Datetime" and default.lower() == "now":
		return now
	if df.fieldtype == "Date" and default.lower() == "today":
		return now.date()
	return coerce(df, default)


def check_row(
	row_number: int, row: Mapping, fields: Mapping[str, Field], now: datetime, defaults: bool = True
) -> Checked:
	"""Coerce every known cell of `row`; with `defaults` (a new record) fill empty fields with their
	defaults and refuse missing required fields. Unknown keys are left out."""
	checked = Checked(row_number, {})
	for fieldname, df in fields.items():
		present = fieldname in row
		value = row.get(fieldname)
		if empty(value):
			if defaults:
				checked.values[fieldname] = default_value(df, now)
			elif present:
				numeric = df.fieldtype in ("Int", "Check", *NUMBER_TYPES)
				checked.values[fieldname] = 0 if numeric else None
				if df.reqd:
					checked.refuse(fieldname, f"{df.title} is required")
			continue
		try:
			checked.values[fieldname] = coerce(df, value)
		except ValueError as error:
			checked.refuse(fieldname, f"{df.title} {error}")
	if defaults:
		for fieldname, df in fields.items():
			if df.reqd and empty(checked.values.get(fieldname)) and fieldname not in failed(checked):
				checked.refuse(fieldname, f"{df.title} is required")
	return checked


def failed(checked: Checked) -> set[str]:
	return {r.field for r in checked.refusals}


def guarded(checked: Checked, fieldname: str, fn: Callable, *args):
	"""`fn(*args)`; a ``ValueError`` refuses the row on `fieldname` (None returned)."""
	try:
		return fn(*args)
	except ValueError as error:
		checked.refuse(fieldname, str(error))
		return None


# ------------------------------------------------------------------ the whole file


def file_duplicates(
	rows: Iterable[tuple[int, Iterable[str]]], first: dict[str, int] | None = None
) -> dict[int, tuple[str, int]]:
	"""Rows that repeat a value (email or phone, compared case-insensitively) of an earlier row:
	{row number: (value, first row using it)}. `first` ({value: row}) carries the values of earlier
	parts of the file and is updated in place."""
	first = {} if first is None else first
	out = {}
	for number, values in rows:
		for value in values:
			if empty(value):
				continue
			key = str(value).strip().lower()
			if key in first and first[key] != number:
				out.setdefault(number, (value, first[key]))
			else:
				first.setdefault(key, number)
	return out


def route(
	records: Iterable[tuple[int, str | None, str | None, bool]],
	reps: Mapping[str, list[str]],
	load: dict[str, int],
) -> dict:
	"""Owners of unowned new records, in file order, as `route_by_territory` gives them one insert at a
	time: the territory's rep with the fewest open records, ties to the rep listed first. `records`:
	(row, territory, owner the row names, whether the record counts as open); every open record stored
	before a row adds to its owner's load. Returns {row: rep} for the routed rows; `load` is updated in
	place (the next part of the file continues from it)."""
	out = {}
	for number, territory, owner, is_open in records:
		if not owner:
			candidates = reps.get(territory) or [] if territory else []
			if not candidates:
				continue
			owner = min(candidates, key=lambda r: (load.get(r, 0), candidates.index(r)))
			out[number] = owner
		if is_open:
			load[owner] = load.get(owner, 0) + 1
	return out


def same(old, new) -> bool:
	if empty(old) and empty(new):
		return True
	if isinstance(new, float) or isinstance(old, float):
		try:
			return abs(float(old or 0) - float(new or 0)) < 1e-9
		except (TypeError, ValueError):
			return False
	if isinstance(new, datetime) or isinstance(old, datetime):
		try:
			return parse_datetime(old) == parse_datetime(new)
		except (TypeError, ValueError):
			return False
	if isinstance(new, date) or isinstance(old, date):
		try:
			return parse_date(old) == parse_date(new)
		except (TypeError, ValueError):
			return False
	if isinstance(new, int) and not isinstance(new, bool):
		try:
			return int(old or 0) == new
		except (TypeError, ValueError):
			return False
	return str(old if old is not None else "") == str(new if new is not None else "")


def changed_fields(stored: Mapping, incoming: Mapping) -> dict:
	"""The incoming values that differ from the stored record (only fields the row carries)."""
	return {k: v for k, v in incoming.items() if k in stored and not same(stored[k], v)}
