"""Seed-style payloads -> document field values, strictly.

The specification's callers send camelCase keys (``probabilityPercent``, ``customerId``) and lower-case
select values (``'call'``, ``'proposal'``). `to_fields` maps them onto a DocType's fields and checks each
value before anything is written:

* keys: camelCase or snake_case, plus per-service aliases (``customerId`` -> ``customer``); a key that is
  not a field, or names a computed (read-only) or table field the caller did not allow, is refused;
* Select: matched case-insensitively onto the options; Int/Float/Currency/Percent: numbers (numeric
  strings accepted), Percent within 0-100, every other number not negative; Check: booleans or 0/1;
  Date/Datetime: ISO strings (``2024-12-31`` or ``2024-12-31T00:00:00.000Z``); JSON: objects or JSON text;
* ``None`` clears a field, except a mandatory one.

Errors are `CRMInputError` (HTTP 400) naming the key as sent and the field, e.g.
``probabilityPercent (probability_percent) must be between 0 and 100, got 120``.
"""

import json
import math
import re
from datetime import date, datetime
from typing import Any

import frappe
from frappe import _

from crm_module.utils import throw_input

TEXT_TYPES = frozenset(
	{"Data", "Small Text", "Text", "Long Text", "Text Editor", "Link", "Dynamic Link", "Color", "Phone"}
)
NUMBER_TYPES = frozenset({"Int", "Float", "Currency", "Percent"})
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
SNAKE = re.compile(r"_([a-z0-9])")


def snake(key: str) -> str:
	"""``probabilityPercent`` -> ``probability_percent``; snake_case keys are returned as they are."""
	return CAMEL.sub("_", key).lower()


def camel(key: str) -> str:
	"""``probability_percent`` -> ``probabilityPercent`` (the inverse of `snake`)."""
	return SNAKE.sub(lambda m: m.group(1).upper(), key)


def require_object(value: Any, param: str) -> dict:
	"""A dict, or JSON text of an object; anything else is a 400 naming `param`."""
	if isinstance(value, str):
		try:
			value = json.loads(value)
		except ValueError:
			throw_input(_("{0} must be a JSON object: malformed JSON").format(param))
	if not isinstance(value, dict):
		throw_input(_("{0} must be a JSON object, got {1}").format(param, type(value).__name__))
	return value


def to_fields(
	doctype: str,
	payload: dict,
	aliases: dict[str, str] | None = None,
	allow: frozenset[str] = frozenset(),
	param: str = "data",
) -> dict:
	"""Return ``{fieldname: value}`` for `payload`; `allow` lists read-only or table fields that may be
	set (tables are returned as sent, for the caller to shape)."""
	meta = frappe.get_meta(doctype)
	aliases = aliases or {}
	values: dict[str, Any] = {}
	for key, value in require_object(payload, param).items():
		fieldname = aliases.get(key) or aliases.get(snake(key)) or snake(key)
		df = meta.get_field(fieldname)
		if df is None or df.fieldtype in ("Section Break", "Column Break", "Tab Break"):
			throw_input(_("{0}.{1}: unknown field for {2}").format(param, key, _(doctype)))
		if fieldname in values:
			throw_input(_("{0}.{1}: field {2} is given twice").format(param, key, fieldname))
		if (df.read_only or df.fieldtype in frappe.model.table_fields) and fieldname not in allow:
			throw_input(_("{0}.{1} ({2}) is computed and cannot be set").format(param, key, fieldname))
		values[fieldname] = value if df.fieldtype in frappe.model.table_fields else _coerce(df, key, value)
	return values


def _coerce(df, key: str, value: Any) -> Any:
	label = f"{key} ({df.fieldname})" if key != df.fieldname else key
	if value is None or (value == "" and df.fieldtype not in TEXT_TYPES | {"Select"}):
		if df.reqd:
			throw_input(_("{0} is required").format(label))
		return None
	fieldtype = df.fieldtype
	if fieldtype == "Select":
		return _select(df, label, value)
	if fieldtype in NUMBER_TYPES:
		return _number(df, label, value)
	if fieldtype == "Check":
		if value in (True, False, 0, 1, "0", "1", "true", "false"):
			return 1 if value in (True, 1, "1", "true") else 0
		throw_input(_("{0} must be true or false, got {1!r}").format(label, value))
	if fieldtype in ("Date", "Datetime"):
		return _date(fieldtype, label, value)
	if fieldtype == "JSON":
		return (
			json.dumps(value) if isinstance(value, dict | list) else json.dumps(require_object(value, label))
		)
	if not isinstance(value, str):
		throw_input(_("{0} must be text, got {1}").format(label, type(value).__name__))
	value = value.strip()
	if df.reqd and not value:
		throw_input(_("{0} is required").format(label))
	return value


def _select(df, label: str, value: Any) -> str:
	options = [o for o in (df.options or "").split("\n")]
	if isinstance(value, str):
		wanted = value.strip().lower().replace("_", " ").replace("-", " ")
		for option in options:
			if option.lower().replace("-", " ") == wanted:
				return option
	shown = ", ".join(o for o in options if o)
	throw_input(_("{0} must be one of {1}, got {2!r}").format(label, shown, value))


def _number(df, label: str, value: Any) -> int | float:
	number = value
	if isinstance(value, str):
		try:
			number = float(value.strip())
		except ValueError:
			number = None
	if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
		throw_input(_("{0} must be a number, got {1!r}").format(label, value))
	if df.fieldtype == "Int":
		if number != int(number):
			throw_input(_("{0} must be a whole number, got {1!r}").format(label, value))
		number = int(number)
	if df.fieldtype == "Percent" and not 0 <= number <= 100:
		throw_input(_("{0} must be between 0 and 100, got {1}").format(label, value))
	if number < 0:
		throw_input(_("{0} must not be negative, got {1}").format(label, value))
	return number


def iso_date(value: Any, param: str) -> str | None:
	"""``YYYY-MM-DD`` for an ISO date or datetime, None for empty; 400 naming `param` otherwise."""
	return None if value in (None, "") else _date("Date", param, value)


def _date(fieldtype: str, label: str, value: Any) -> str:
	if isinstance(value, datetime | date):
		value = value.isoformat()
	if isinstance(value, str):
		text = value.strip().replace("Z", "+00:00")
		try:
			parsed = datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)
		except ValueError:
			parsed = None
		if parsed is not None:
			if fieldtype == "Date":
				return (parsed.date() if isinstance(parsed, datetime) else parsed).isoformat()
			if not isinstance(parsed, datetime):
				parsed = datetime(parsed.year, parsed.month, parsed.day)
			return parsed.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")
	throw_input(_("{0} must be an ISO date (YYYY-MM-DD), got {1!r}").format(label, value))
