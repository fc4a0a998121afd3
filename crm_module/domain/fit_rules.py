"""Rule-based fit score of a lead ("how well does this lead fit our ideal customer").

Definitions:

- A rule ``FitRule(field, operator, value, points)`` matches a lead when ``lead[field] <operator> value``
  holds; ``points`` (an integer between -100 and 100) is then added.
- ``fit_score = clamp(base + sum of points of matching rules, 0, 100)``.
- Text comparisons ignore case and surrounding spaces. A field is *set* when its value is not ``None``
  and not blank. ``in``/``not in`` take a list (or a comma-separated string). ``!=``, ``not in``,
  ``contains``, ``ends with`` and the numeric comparisons never match an unset field (use ``is not set``
  for that). Numeric comparisons never match a value that is not a number.
- Besides the lead's own fields, rules can use ``email_domain``: the lower-cased part of ``email`` after
  the last ``@`` (unset when there is no email).

``DEFAULT_FIT_RULES`` (base 0, maximum 100):

- ``source = Referral``: +25; ``source = Website``: +15
- ``email_domain not in`` free-mail domains (gmail.com, yahoo.com, hotmail.com, outlook.com, ...): +20
- ``company_size in ("51-200", "201-500", "501-1000", "1000+")``: +20
- ``industry is set``: +10; ``phone is set``: +10
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

OPERATORS = (
	"=",
	"!=",
	"in",
	"not in",
	"contains",
	"ends with",
	">=",
	"<=",
	">",
	"<",
	"is set",
	"is not set",
)
NUMERIC_OPERATORS = (">=", "<=", ">", "<")
LIST_OPERATORS = ("in", "not in")
UNARY_OPERATORS = ("is set", "is not set")

FREE_MAIL_DOMAINS = (
	"gmail.com",
	"googlemail.com",
	"yahoo.com",
	"hotmail.com",
	"outlook.com",
	"live.com",
	"msn.com",
	"aol.com",
	"icloud.com",
	"me.com",
	"proton.me",
	"protonmail.com",
	"gmx.com",
	"mail.com",
	"yandex.com",
)
LARGER_COMPANY_SIZES = ("51-200", "201-500", "501-1000", "1000+")


@dataclass(frozen=True)
class FitRule:
	"""One fit rule; see the module docstring."""

	field: str
	operator: str
	value: Any = None
	points: int = 0

	def __post_init__(self):
		if not isinstance(self.field, str) or not self.field.strip():
			raise ValueError("fit_rules.field is required")
		if self.operator not in OPERATORS:
			raise ValueError(
				f"fit_rules.operator: unknown operator {self.operator!r} for field '{self.field}'"
			)
		if (
			isinstance(self.points, bool)
			or not isinstance(self.points, int)
			or not -100 <= self.points <= 100
		):
			raise ValueError(
				f"fit_rules.points for field '{self.field}' must be an integer between -100 and 100"
			)
		if self.operator in LIST_OPERATORS:
			object.__setattr__(self, "value", tuple(_as_list(self.value)))
		elif self.operator in NUMERIC_OPERATORS and _as_number(self.value) is None:
			raise ValueError(f"fit_rules.value for field '{self.field}' must be a number")

	def to_dict(self) -> dict:
		value = list(self.value) if isinstance(self.value, tuple) else self.value
		return {"field": self.field, "operator": self.operator, "value": value, "points": self.points}

	@classmethod
	def from_dict(cls, d: Mapping) -> "FitRule":
		if not isinstance(d, Mapping):
			raise ValueError("fit_rules: each rule must be an object")
		points = d.get("points", 0)
		if isinstance(points, str) and points.strip().lstrip("-").isdigit():
			points = int(points)
		return cls(d.get("field") or "", d.get("operator") or "", d.get("value"), points)


def _as_list(value: Any) -> list:
	if value is None:
		return []
	if isinstance(value, str):
		return [v.strip() for v in value.split(",") if v.strip()]
	if isinstance(value, Iterable):
		return list(value)
	return [value]


def _as_number(value: Any) -> Decimal | None:
	if value is None or isinstance(value, bool):
		return None
	try:
		d = Decimal(str(value).strip())
	except (InvalidOperation, ValueError):
		return None
	return d if d.is_finite() else None


def _norm(value: Any) -> str:
	return str(value).strip().casefold()


def is_set(value: Any) -> bool:
	"""A value is set when it is not ``None`` and not blank."""
	return value is not None and str(value).strip() != ""


def email_domain(email: Any) -> str | None:
	"""Return the lower-cased domain of an email address, or ``None``."""
	if not is_set(email) or "@" not in str(email):
		return None
	return str(email).strip().rsplit("@", 1)[1].lower() or None


def lead_field(lead: Mapping, field: str) -> Any:
	"""Return ``lead[field]``, computing derived fields such as ``email_domain``."""
	if field == "email_domain" and "email_domain" not in lead:
		return email_domain(lead.get("email"))
	return lead.get(field)


def rule_matches(rule: FitRule, lead: Mapping) -> bool:
	"""Return whether ``rule`` holds for ``lead``."""
	actual = lead_field(lead, rule.field)
	op = rule.operator
	if op == "is set":
		return is_set(actual)
	if op == "is not set":
		return not is_set(actual)
	if op == "=":
		if not is_set(actual):
			return not is_set(rule.value)
		return _norm(actual) == _norm(rule.value)
	if not is_set(actual):
		return False
	if op == "!=":
		return _norm(actual) != _norm(rule.value)
	if op in LIST_OPERATORS:
		found = _norm(actual) in {_norm(v) for v in rule.value}
		return found if op == "in" else not found
	if op == "contains":
		return _norm(rule.value) in _norm(actual)
	if op == "ends with":
		return _norm(actual).endswith(_norm(rule.value))
	left, right = _as_number(actual), _as_number(rule.value)
	if left is None or right is None:
		return False
	return {">=": left >= right, "<=": left <= right, ">": left > right, "<": left < right}[op]


DEFAULT_FIT_RULES: tuple[FitRule, ...] = (
	FitRule("source", "=", "Referral", 25),
	FitRule("source", "=", "Website", 15),
	FitRule("email_domain", "not in", FREE_MAIL_DOMAINS, 20),
	FitRule("company_size", "in", LARGER_COMPANY_SIZES, 20),
	FitRule("industry", "is set", None, 10),
	FitRule("phone", "is set", None, 10),
)


def fit_score(
	lead: Mapping, rules: Iterable[FitRule] = DEFAULT_FIT_RULES, base: int = 0
) -> tuple[int, list[dict]]:
	"""Return ``(clamp(base + sum of matching points, 0, 100), explanations)`` where ``explanations`` lists
	the matching rules as ``{"field", "operator", "value", "points"}`` in rule order."""
	if isinstance(base, bool) or not isinstance(base, int) or not 0 <= base <= 100:
		raise ValueError("fit_base must be an integer between 0 and 100")
	total = base
	matched = []
	for rule in rules:
		if rule_matches(rule, lead):
			total += rule.points
			matched.append(rule.to_dict())
	return max(0, min(100, total)), matched


def fit_key(lead: Mapping, rules: Iterable[FitRule] = DEFAULT_FIT_RULES) -> tuple[bool, ...]:
	"""Which of `rules` `lead` matches: `fit_score` (score and explanations) depends on nothing else, so
	equal keys give equal results."""
	return tuple(rule_matches(rule, lead) for rule in rules)
