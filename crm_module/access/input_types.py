"""Field values must have the field's type before anything reaches the database.

Frappe's REST paths (`/api/resource`, `frappe.client.*`, desk saves) hand request values to documents
as they came: a list for a text field, ``'abc'`` for a number or ``2024-13-45`` for a date would fail
deep inside Frappe or the database with a 500. This check runs first on every CRM write (and on every
child row) and answers 400 naming the field.
"""

import json
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from frappe import _
from frappe.model import no_value_fields, table_fields

from crm_module.utils import throw_input

TEXT_LIMIT = 65535  # bytes in a TEXT column
LONG_TEXT = frozenset({"Long Text", "HTML Editor", "Markdown Editor", "JSON"})
NUMBERS = frozenset({"Int", "Check", "Float", "Currency", "Percent", "Rating", "Duration"})
DATES = frozenset({"Date", "Datetime"})
VARCHAR = frozenset(
	{"Data", "Link", "Dynamic Link", "Select", "Phone", "Color", "Autocomplete", "Password", "Read Only"}
)


def check_document(doc) -> None:
	check_values(doc)
	for df in doc.meta.get_table_fields():
		for row in doc.get(df.fieldname) or []:
			if hasattr(row, "meta"):
				check_values(row)


def check_values(doc) -> None:
	for df in doc.meta.fields:
		if df.fieldtype in no_value_fields or df.fieldtype in table_fields:
			continue
		value = doc.get(df.fieldname)
		if value is None or value == "":
			continue
		problem = type_problem(df.fieldtype, value, df.length)
		if problem:
			label = _(df.label or df.fieldname)
			throw_input(_("{0} ({1}) {2}").format(label, df.fieldname, problem))


def type_problem(fieldtype: str, value, length: int | None = None) -> str | None:
	"""What is wrong with `value` for a field of `fieldtype`, or None."""
	if fieldtype in NUMBERS:
		return _number_problem(fieldtype, value)
	if fieldtype in DATES:
		return _date_problem(fieldtype, value)
	if fieldtype == "Time":
		return (
			None if _parses_time(value) else _("must be a time (HH:MM:SS), got {0!r}").format(_short(value))
		)
	if fieldtype == "JSON":
		if isinstance(value, dict | list):
			return None
		if isinstance(value, str):
			try:
				json.loads(value)
				return None
			except ValueError:
				return _("must be valid JSON")
		return _("must be JSON, got {0}").format(type(value).__name__)
	if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
		return _("must be text, got {0}").format(_kind(value))
	text = str(value)
	if fieldtype in VARCHAR and len(text) > (length or 140):
		return _("must be at most {0} characters, got {1}").format(length or 140, len(text))
	if fieldtype not in LONG_TEXT and fieldtype not in VARCHAR and len(text.encode()) > TEXT_LIMIT:
		return _("must be at most {0} bytes, got {1}").format(TEXT_LIMIT, len(text.encode()))
	return None


def _kind(value) -> str:
	if isinstance(value, dict):
		return "an object"
	if isinstance(value, list | tuple):
		return "a list"
	if isinstance(value, bool):
		return "a boolean"
	return type(value).__name__


def _short(value) -> str:
	text = str(value)
	return text if len(text) <= 40 else text[:40] + "…"


def _number_problem(fieldtype: str, value) -> str | None:
	number = value
	if isinstance(value, str):
		try:
			number = float(value.strip())
		except ValueError:
			return _("must be a number, got {0!r}").format(_short(value))
	if isinstance(number, bool) and fieldtype == "Check":
		return None
	if isinstance(number, bool) or not isinstance(number, int | float | Decimal):
		return _("must be a number, got {0}").format(_kind(value))
	if not math.isfinite(float(number)):
		return _("must be a finite number")
	if abs(float(number)) >= 1e15:
		return _("is out of range")
	if fieldtype in ("Int", "Check") and float(number) != int(float(number)):
		return _("must be a whole number, got {0}").format(_short(value))
	return None


def _date_problem(fieldtype: str, value) -> str | None:
	if isinstance(value, datetime | date):
		return None
	if isinstance(value, str):
		text = value.strip().replace("Z", "+00:00")
		try:
			parsed = (
				datetime.fromisoformat(text) if ("T" in text or " " in text) else date.fromisoformat(text)
			)
		except ValueError:
			parsed = None
		if parsed is not None and 1000 <= parsed.year <= 9999:
			return None
	return _("must be an ISO date (YYYY-MM-DD), got {0!r}").format(_short(value))


def _parses_time(value) -> bool:
	if isinstance(value, time | timedelta):
		return True
	if not isinstance(value, str):
		return False
	try:
		time.fromisoformat(value.strip())
		return True
	except ValueError:
		return False
