"""Automation rules (no frappe): events, condition rows, event keys, placeholders and action checks.

A rule is *When* an event happens on a record, *If* its field conditions hold, *Then* one action.

- Events (`EVENTS`): each targets one doctype. Change events are captured when they happen (a queue row
  per change, see the service) or, for the values the nightly jobs write set-based (health risk level,
  lead grade), read from the history tables; time events (no activity for N days, closing date passed)
  are states found by query at each run.
- Conditions: rows of (field, operator, value) become Frappe filter tuples (`translate_conditions`);
  every field must exist on the target doctype (the message names the row and the field).
- An *occurrence* of an event on a record has a key (`event_key`): a rule fires once per
  (record, key), so a rerun does not fire again while a new occurrence (another status change, a moved
  closing date, new activity followed by a new idle spell) does.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

LEAD = "CRM Sales Lead"
OPPORTUNITY = "CRM Opportunity"
CUSTOMER = "CRM Customer Profile"


@dataclass(frozen=True)
class Event:
	name: str
	doctype: str
	kind: str  # "queue": captured on change; "history": read from a history table; "time": a state
	field: str | None = None  # the field whose from/to values a rule may filter on


EVENTS: dict[str, Event] = {
	e.name: e
	for e in (
		Event("Lead Created", LEAD, "queue"),
		Event("Lead Status Changed", LEAD, "queue", "status"),
		Event("Opportunity Stage Changed", OPPORTUNITY, "queue", "stage"),
		Event("Opportunity Without Activity", OPPORTUNITY, "time"),
		Event("Opportunity Closing Date Passed", OPPORTUNITY, "time"),
		Event("Customer Health Turned Red", CUSTOMER, "history", "risk_level"),
		Event("Lead Grade Changed", LEAD, "history", "latest_grade"),
	)
}
QUEUED_EVENTS = frozenset(name for name, e in EVENTS.items() if e.kind == "queue")

ACTIONS = ("Create ToDo", "Notify Users", "Set Field", "Add Tag", "Re-score")
RESCORABLE = frozenset({LEAD, CUSTOMER})

OPERATORS = ("=", "!=", ">", "<", ">=", "<=", "in", "not in", "like", "is set", "is not set")
NUMBER_TYPES = frozenset({"Int", "Check", "Float", "Currency", "Percent", "Rating", "Duration"})
DATE_TYPES = frozenset({"Date", "Datetime"})
# the columns every document has, with their types
STANDARD_FIELDS = {"name": "Data", "owner": "Link", "creation": "Datetime", "modified": "Datetime"}

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def event(name: str | None) -> Event:
	if name not in EVENTS:
		raise ValueError(f"event must be one of {', '.join(EVENTS)}, got {name!r}")
	return EVENTS[name]


def doctype_of(event_name: str) -> str:
	"""The doctype a rule listening to `event_name` works on."""
	return event(event_name).doctype


# ------------------------------------------------------------------ conditions


def _split(value: str) -> list[str]:
	return [part.strip() for part in re.split(r"[,\n]", value or "") if part.strip()]


def _typed(value: str, fieldtype: str, where: str) -> Any:
	text = (value or "").strip()
	if fieldtype in NUMBER_TYPES:
		try:
			number = float(text)
		except ValueError:
			raise ValueError(f"{where}: value must be a number, got {value!r}") from None
		return int(number) if fieldtype in ("Int", "Check") and number.is_integer() else number
	if fieldtype in DATE_TYPES:
		try:
			(date if fieldtype == "Date" else datetime).fromisoformat(text)
		except ValueError:
			raise ValueError(f"{where}: value must be a date (YYYY-MM-DD), got {value!r}") from None
	return text


def translate_condition(idx: int, row: Mapping, fields: Mapping[str, str]) -> tuple:
	"""One condition row (`field`, `operator`, `value`) as a filter tuple (field, operator, value);
	`fields` maps the target doctype's fieldnames to their field types. ValueError names the row."""
	fieldname = (row.get("field") or "").strip()
	where = f"Condition row {idx} ({fieldname or 'no field'})"
	if not fieldname:
		raise ValueError(f"Condition row {idx}: field is required")
	fieldtype = fields.get(fieldname) or STANDARD_FIELDS.get(fieldname)
	if fieldtype is None:
		raise ValueError(f"Condition row {idx}: field {fieldname} does not exist on the rule's doctype")
	op = (row.get("operator") or "").strip()
	if op not in OPERATORS:
		raise ValueError(f"{where}: operator must be one of {', '.join(OPERATORS)}, got {op!r}")
	value = row.get("value")
	if op == "is set":
		return (fieldname, "is", "set")
	if op == "is not set":
		return (fieldname, "is", "not set")
	if op in ("in", "not in"):
		values = _split(value)
		if not values:
			raise ValueError(f"{where}: {op} needs a comma-separated list of values")
		return (fieldname, op, [_typed(v, fieldtype, where) for v in values])
	if op == "like":
		text = (value or "").strip()
		if not text:
			raise ValueError(f"{where}: like needs a pattern")
		return (fieldname, "like", text if "%" in text or "_" in text else f"%{text}%")
	if value in (None, "") and fieldtype not in NUMBER_TYPES:
		return (fieldname, op, "")
	return (fieldname, op, _typed(value, fieldtype, where))


def translate_conditions(rows: Iterable[Mapping], fields: Mapping[str, str]) -> list[tuple]:
	"""All condition rows (numbered from 1) as filter tuples, all of which must hold."""
	return [translate_condition(i, row, fields) for i, row in enumerate(rows, start=1)]


# ------------------------------------------------------------------ events and their keys


def event_key(event_name: str, reference: Any = None) -> str:
	"""The key of one occurrence: the queue row name for captured changes, the date the state began
	for time events ("idle:<last activity date>", "close:<expected close date>"), the day of the
	history row for history events ("red:<score date>", "grade:<scoring date>")."""
	kind = event(event_name).kind
	if kind == "queue":
		return f"queue:{reference}"
	day = reference.isoformat() if isinstance(reference, date | datetime) else str(reference)
	day = day[:10]
	prefix = {
		"Opportunity Without Activity": "idle",
		"Opportunity Closing Date Passed": "close",
		"Customer Health Turned Red": "red",
		"Lead Grade Changed": "grade",
	}[event_name]
	return f"{prefix}:{day}"


def matching_events(events: Iterable[Mapping], from_value: str | None, to_value: str | None) -> list:
	"""The queued (or history) events whose from/to values match the rule's (an empty rule value matches
	anything)."""
	return [
		e
		for e in events
		if (not from_value or (e.get("from_value") or "") == from_value)
		and (not to_value or (e.get("to_value") or "") == to_value)
	]


def change_event(
	doctype: str, is_new: bool, before: Mapping | None, after: Mapping, listened: Iterable[str]
) -> list[tuple[str, str | None, str | None]]:
	"""(event, from value, to value) of the listened events a document save produced."""
	listened = set(listened)
	found = []
	for name in listened & QUEUED_EVENTS:
		e = EVENTS[name]
		if e.doctype != doctype:
			continue
		if e.field is None:
			if is_new:
				found.append((name, None, None))
		elif not is_new and before is not None:
			old, new = before.get(e.field), after.get(e.field)
			if (old or "") != (new or ""):
				found.append((name, old or None, new or None))
	return sorted(found)


def transitions(
	history: Mapping[str, list[tuple[Any, str | None]]],
	prior: Mapping[str, str | None],
	to_value: str | None = None,
	from_value: str | None = None,
	first_counts: bool = False,
) -> list[dict]:
	"""Changes of a value along each record's history rows: `history` maps a record to its (day, value)
	rows in the window, oldest first, `prior` to its value just before the window (absent: never
	scored). A row whose value differs from the one before is a change (`first_counts`: also the
	very first row). Returns {name, day, from_value, to_value} filtered by the rule's from/to values."""
	found = []
	for name, rows in history.items():
		has_previous = name in prior
		previous = prior.get(name)
		for day, value in rows:
			if has_previous or first_counts:
				if (previous or "") != (value or ""):
					found.append({"name": name, "day": day, "from_value": previous, "to_value": value})
			has_previous, previous = True, value
	return matching_events(found, from_value, to_value)


# ------------------------------------------------------------------ actions


def placeholders(template: str | None) -> list[str]:
	"""The field names a template refers to as {field}, in order, without repeats."""
	return list(dict.fromkeys(PLACEHOLDER.findall(template or "")))


def render(template: str | None, record: Mapping) -> str:
	"""`template` with every {field} replaced by the record's value (empty when unset; unknown names
	stay as written)."""

	def value(match: re.Match) -> str:
		name = match.group(1)
		if name not in record:
			return match.group(0)
		found = record[name]
		return "" if found is None else str(found)

	return PLACEHOLDER.sub(value, template or "")


def check_placeholders(template: str | None, fields: Mapping[str, str], param: str) -> None:
	unknown = [p for p in placeholders(template) if p not in fields and p not in STANDARD_FIELDS]
	if unknown:
		raise ValueError(f"{param}: unknown field placeholder {', '.join('{' + u + '}' for u in unknown)}")


def check_set_field(fieldname: str | None, settable: Mapping[str, str]) -> str:
	"""The field a Set Field action writes must be one a manager may set on the doctype."""
	fieldname = (fieldname or "").strip()
	if not fieldname:
		raise ValueError("set_field: a field is required for the Set Field action")
	if fieldname not in settable:
		raise ValueError(
			f"set_field: {fieldname} cannot be set by a rule (allowed: {', '.join(sorted(settable))})"
		)
	return fieldname


def digest(rule_name: str, labels: list[str], limit: int = 10) -> str:
	"""The subject of one user's notification for the records a rule fired on in one run."""
	if len(labels) == 1:
		return f"{rule_name}: {labels[0]}"
	shown = ", ".join(labels[:limit])
	more = f" and {len(labels) - limit} more" if len(labels) > limit else ""
	return f"{rule_name}: {len(labels)} records: {shown}{more}"
