"""Criteria of dynamic customer segments.

A criteria document is JSON::

        {"match": "all" | "any", "conditions": [{"field": "health_score", "op": "<", "value": 50}, ...]}

- ``match`` defaults to ``"all"``; there must be at least one condition.
- ``field`` must be in the whitelist given to ``parse_criteria`` (``SEGMENT_FIELDS`` by default), which
  maps a field to its type: ``number`` (also "days ago" fields), ``date`` (ISO ``YYYY-MM-DD``), ``text``
  or ``select``.
- Operators per type: number and date: ``= != < <= > >= between is set is not set``; text and select:
  ``= != in not in like is set is not set``. ``between`` takes ``[low, high]`` with low <= high (both
  inclusive); ``in``/``not in`` take a non-empty list (or a comma-separated string); ``like`` takes an SQL
  pattern (``%`` any run, ``_`` one character); ``is set``/``is not set`` take no value.
- Evaluation (``matches``): a value is *unset* when it is ``None`` or blank. On an unset value ``is not
  set``, ``!=`` and ``not in`` hold and every other operator fails. Text comparisons ignore case (as the
  database collation does).
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from crm_module.domain.validation import as_fraction

TYPE_OPERATORS = {
	"number": ("=", "!=", "<", "<=", ">", ">=", "between", "is set", "is not set"),
	"date": ("=", "!=", "<", "<=", ">", ">=", "between", "is set", "is not set"),
	"text": ("=", "!=", "in", "not in", "like", "is set", "is not set"),
	"select": ("=", "!=", "in", "not in", "like", "is set", "is not set"),
}

SEGMENT_FIELDS: dict[str, str] = {
	"lifecycle_stage": "select",
	"segment": "select",
	"industry": "text",
	"company_size": "select",
	"engagement_level": "select",
	"health_score": "number",
	"risk_level": "select",
	"days_since_last_interaction": "number",
	"open_opportunities": "number",
	"pipeline_value": "number",
	"interactions_90d": "number",
}


@dataclass(frozen=True)
class Condition:
	field: str
	op: str
	value: Any
	type: str


@dataclass(frozen=True)
class Criteria:
	match: str
	conditions: tuple[Condition, ...]

	def to_dict(self) -> dict:
		return {
			"match": self.match,
			"conditions": [
				{"field": c.field, "op": c.op, "value": _jsonable(c.value)} for c in self.conditions
			],
		}


def _jsonable(value: Any) -> Any:
	if isinstance(value, tuple | list):
		return [_jsonable(v) for v in value]
	return value.isoformat() if isinstance(value, date) else value


def _scalar(where: str, kind: str, value: Any) -> Any:
	if kind == "number":
		if isinstance(value, str):
			try:
				value = float(value)
			except ValueError:
				raise ValueError(f"{where}: value must be a number, got {value!r}")
		as_fraction(f"{where}", value)
		return value
	if kind == "date":
		try:
			return date.fromisoformat(str(value)[:10]) if not isinstance(value, date) else value
		except ValueError:
			raise ValueError(f"{where}: value must be a date (YYYY-MM-DD), got {value!r}")
	if value is None or isinstance(value, dict | list | tuple) or str(value).strip() == "":
		raise ValueError(f"{where}: value must be a non-empty text")
	return str(value).strip()


def _parse_condition(i: int, raw: Any, allowed_fields: Mapping[str, str]) -> Condition:
	where = f"conditions[{i}]"
	if not isinstance(raw, Mapping):
		raise ValueError(f"{where}: must be an object with field, op and value")
	field = raw.get("field")
	if field not in allowed_fields:
		raise ValueError(f"{where}.field: unknown field {field!r}")
	kind = allowed_fields[field]
	if kind not in TYPE_OPERATORS:
		raise ValueError(f"{where}.field: field '{field}' has unknown type {kind!r}")
	op = str(raw.get("op") or raw.get("operator") or "").strip().lower()
	if op not in TYPE_OPERATORS[kind]:
		raise ValueError(f"{where}.op: operator {op!r} is not allowed for {kind} field '{field}'")
	value = raw.get("value")
	vw = f"{where}.value ({field})"
	if op in ("is set", "is not set"):
		value = None
	elif op == "between":
		if not isinstance(value, list | tuple) or len(value) != 2:
			raise ValueError(f"{vw}: between needs [low, high]")
		low, high = (_scalar(vw, kind, v) for v in value)
		if low > high:
			raise ValueError(f"{vw}: low must not be greater than high")
		value = (low, high)
	elif op in ("in", "not in"):
		items = [v.strip() for v in value.split(",")] if isinstance(value, str) else value
		if not isinstance(items, list | tuple) or not [v for v in items if v not in (None, "")]:
			raise ValueError(f"{vw}: {op} needs a non-empty list")
		value = tuple(_scalar(vw, kind, v) for v in items if v not in (None, ""))
	else:
		value = _scalar(vw, kind, value)
	return Condition(field, op, value, kind)


def parse_criteria(raw: str | Mapping, allowed_fields: Mapping[str, str] | None = None) -> Criteria:
	"""Parse and validate a criteria document (JSON text or dict); raise ``ValueError`` naming the
	condition index and field."""
	allowed_fields = SEGMENT_FIELDS if allowed_fields is None else allowed_fields
	if isinstance(raw, str):
		try:
			raw = json.loads(raw)
		except json.JSONDecodeError as e:
			raise ValueError(f"criteria: invalid JSON ({e.msg})")
	if not isinstance(raw, Mapping):
		raise ValueError("criteria: must be an object with match and conditions")
	match = raw.get("match") or "all"
	if match not in ("all", "any"):
		raise ValueError(f"match: must be 'all' or 'any', got {match!r}")
	conditions = raw.get("conditions")
	if not isinstance(conditions, list) or not conditions:
		raise ValueError("conditions: at least one condition is required")
	return Criteria(match, tuple(_parse_condition(i, c, allowed_fields) for i, c in enumerate(conditions)))


def _like(pattern: str, text: str) -> bool:
	regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
	return re.fullmatch(regex, text, flags=re.IGNORECASE | re.DOTALL) is not None


def _coerce(cond: Condition, value: Any) -> Any:
	if cond.type == "number":
		return float(value)
	if cond.type == "date":
		return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
	return str(value).strip().casefold()


def condition_matches(cond: Condition, row: Mapping) -> bool:
	"""Evaluate one condition on a row (see the module docstring for unset values)."""
	raw = row.get(cond.field)
	unset = raw is None or (isinstance(raw, str) and raw.strip() == "")
	if cond.op in ("is set", "is not set"):
		return unset == (cond.op == "is not set")
	if unset:
		return cond.op in ("!=", "not in")
	try:
		actual = _coerce(cond, raw)
	except (TypeError, ValueError):
		return cond.op in ("!=", "not in")
	if cond.op == "like":
		return _like(cond.value, str(raw).strip())
	expected = cond.value
	if cond.type in ("text", "select"):
		expected = (
			tuple(v.casefold() for v in expected) if isinstance(expected, tuple) else expected.casefold()
		)
	if cond.op == "between":
		return expected[0] <= actual <= expected[1]
	if cond.op in ("in", "not in"):
		return (actual in expected) == (cond.op == "in")
	ops = {
		"=": lambda a, b: a == b,
		"!=": lambda a, b: a != b,
		"<": lambda a, b: a < b,
		"<=": lambda a, b: a <= b,
		">": lambda a, b: a > b,
		">=": lambda a, b: a >= b,
	}
	return ops[cond.op](actual, expected)


def matches(criteria: Criteria, row: Mapping) -> bool:
	"""Return whether a row satisfies all (``match == "all"``) or any (``"any"``) of the conditions."""
	results = (condition_matches(c, row) for c in criteria.conditions)
	return all(results) if criteria.match == "all" else any(results)


def _filter(cond: Condition) -> list:
	if cond.op == "is set":
		return [cond.field, "is", "set"]
	if cond.op == "is not set":
		return [cond.field, "is", "not set"]
	return [cond.field, cond.op, _jsonable(cond.value)]


def to_filters(criteria: Criteria) -> list[list]:
	"""Frappe ``filters`` triples ``[field, op, value]`` for ``"all"`` criteria (a single condition also
	works for ``"any"``)."""
	if criteria.match == "any" and len(criteria.conditions) > 1:
		raise ValueError("match: 'any' criteria need to_or_filters")
	return [_filter(c) for c in criteria.conditions]


def to_or_filters(criteria: Criteria) -> list[list]:
	"""Frappe ``or_filters`` triples for ``"any"`` criteria."""
	if criteria.match == "all" and len(criteria.conditions) > 1:
		raise ValueError("match: 'all' criteria need to_filters")
	return [_filter(c) for c in criteria.conditions]
