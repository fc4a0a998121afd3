"""Sales targets (quotas): periods, attainment, gap and roll-ups over a hierarchy.

Definitions:

- A period is a calendar month or a calendar quarter (Jan-Mar, Apr-Jun, Jul-Sep, Oct-Dec), given by its
  first day; ``period_bounds`` returns its first and last day (both inclusive).
- Figures are dicts of ``Decimal`` money amounts (cents, `crm_module.domain.money`) and ``int`` counts,
  keyed by the names in ``FIGURES``: ``won`` (value of the deals won in the period), ``won_count``,
  ``forecast`` (weighted open forecast: sum of the stored forecast amounts of the open deals expected to
  close in the period), ``pipeline`` (their unweighted value) and ``open_count``.
- Attainment is ``won / target x 100`` rounded half up to 2 decimals, ``None`` when the target is 0.
- The gap is ``target - won``, *signed*: negative when the target is exceeded (a gap of -500.00 means
  500.00 above target). ``projected`` is ``won + forecast`` and ``projected_gap`` ``target - projected``.
- A roll-up over a tree (territories, teams) gives every node its own figures plus those of all its
  descendants (``parent = own + children``).
"""

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

from crm_module.domain.forecasting import to_date
from crm_module.domain.money import Number, money, percent, to_decimal

PERIOD_TYPES = ("Month", "Quarter")
TARGET_FOR = ("Rep", "Team", "Territory")
# the subject field of each kind of target
SUBJECT_FIELDS = {"Rep": "user", "Team": "sales_team", "Territory": "territory"}
MONEY_FIGURES = ("won", "forecast", "pipeline")
COUNT_FIGURES = ("won_count", "open_count")
FIGURES = MONEY_FIGURES + COUNT_FIGURES


def _check_period_type(period_type: str) -> None:
	if period_type not in PERIOD_TYPES:
		raise ValueError(f"period_type must be one of {', '.join(PERIOD_TYPES)}, got {period_type!r}")


def period_start(period_type: str, d: date | datetime | str) -> date:
	"""The first day of the month or quarter containing ``d``."""
	_check_period_type(period_type)
	d = to_date(d)
	if period_type == "Month":
		return d.replace(day=1)
	return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def period_bounds(period_type: str, d: date | datetime | str) -> tuple[date, date]:
	"""(first day, last day) of the month or quarter containing ``d``."""
	start = period_start(period_type, d)
	months = 1 if period_type == "Month" else 3
	year, month = divmod(start.month - 1 + months, 12)
	next_start = date(start.year + year, month + 1, 1)
	return start, date.fromordinal(next_start.toordinal() - 1)


def check_period_start(period_type: str, d: date | datetime | str, field: str = "period_start") -> date:
	"""``d`` as a date when it is the first day of a month / quarter; ``ValueError`` naming ``field`` and
	the first day of ``d``'s period otherwise."""
	d = to_date(d, field)
	start = period_start(period_type, d)
	if d != start:
		kind = "month" if period_type == "Month" else "quarter"
		raise ValueError(f"{field} must be the first day of a {kind} (did you mean {start.isoformat()}?)")
	return d


def subject_of(target_for: str, values: Mapping[str, str | None]) -> str:
	"""The rep, team or territory a target is for: the field ``SUBJECT_FIELDS[target_for]`` must be set and
	the other two empty (``ValueError`` naming the field otherwise)."""
	if target_for not in SUBJECT_FIELDS:
		raise ValueError(f"target_for must be one of {', '.join(TARGET_FOR)}, got {target_for!r}")
	wanted = SUBJECT_FIELDS[target_for]
	for kind, field in SUBJECT_FIELDS.items():
		if field != wanted and values.get(field):
			raise ValueError(f"{field} must be empty for a {target_for} target (it is for {kind} targets)")
	if not values.get(wanted):
		raise ValueError(f"{wanted} is required for a {target_for} target")
	return values[wanted]


def period_label(period_type: str, start: date | datetime | str) -> str:
	"""``"2026-04"`` for a month, ``"2026-Q2"`` for a quarter."""
	start = period_start(period_type, start)
	if period_type == "Month":
		return start.strftime("%Y-%m")
	return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def months_of(period_type: str, start: date | datetime | str) -> list[str]:
	"""The ``"YYYY-MM"`` months a period covers (1 for a month, 3 for a quarter)."""
	first, last = period_bounds(period_type, start)
	out, (y, m) = [], (first.year, first.month)
	while (y, m) <= (last.year, last.month):
		out.append(f"{y:04d}-{m:02d}")
		y, m = (y + 1, 1) if m == 12 else (y, m + 1)
	return out


def empty_figures() -> dict:
	return {**{k: money(0) for k in MONEY_FIGURES}, **{k: 0 for k in COUNT_FIGURES}}


def add_figures(*many: Mapping) -> dict:
	"""The sum of several figure dicts (missing keys count as 0)."""
	out = empty_figures()
	for figures in many:
		for key in MONEY_FIGURES:
			out[key] = money(out[key] + to_decimal(figures.get(key), key))
		for key in COUNT_FIGURES:
			out[key] += int(figures.get(key) or 0)
	return out


def attainment(won: Number | None, target: Number | None) -> float | None:
	"""``won / target x 100`` (2 decimals, half up), ``None`` when the target is 0 or missing."""
	if to_decimal(target, "target") == 0:
		return None
	return percent(won, target)


def gap(target: Number | None, won: Number | None) -> Decimal:
	"""``target - won`` in cents, signed (negative = above target)."""
	return money(to_decimal(target, "target") - to_decimal(won, "won"))


def figures_in_period(monthly: Mapping[str, Mapping], period_type: str, start: date | str) -> dict:
	"""Add up per-month figures (``{"YYYY-MM": figures}``) over the months of one period."""
	return add_figures(*(monthly[m] for m in months_of(period_type, start) if m in monthly))


def target_row(target_amount: Number | None, figures: Mapping, target_deals: int | None = None) -> dict:
	"""The figures of one target: target, won, forecast, pipeline, counts, attainment, gap, projected and
	(with ``target_deals``) the deal attainment."""
	target = money(target_amount, "target_amount")
	if target < 0:
		raise ValueError("target_amount must not be negative")
	f = add_figures(figures)
	projected = money(f["won"] + f["forecast"])
	row = {
		"target": target,
		**f,
		"attainment": attainment(f["won"], target),
		"gap": gap(target, f["won"]),
		"projected": projected,
		"projected_attainment": attainment(projected, target),
		"projected_gap": gap(target, projected),
		"target_deals": int(target_deals or 0),
		"deal_attainment": attainment(f["won_count"], target_deals) if target_deals else None,
	}
	return row


def children_of(parents: Mapping[str, str | None]) -> dict[str, list[str]]:
	"""``{node: [children]}`` from ``{node: parent}`` (children in first-seen order)."""
	out: dict[str, list[str]] = {node: [] for node in parents}
	for node, parent in parents.items():
		if parent:
			out.setdefault(parent, []).append(node)
	return out


def subtree(node: str, parents: Mapping[str, str | None]) -> list[str]:
	"""``node`` and all its descendants (depth first). A cycle in ``parents`` is cut where it closes."""
	kids = children_of(parents)
	out, seen, stack = [], set(), [node]
	while stack:
		current = stack.pop()
		if current in seen:
			continue
		seen.add(current)
		out.append(current)
		stack.extend(reversed(kids.get(current, [])))
	return out


def add_monthly(*many: Mapping[str, Mapping]) -> dict[str, dict]:
	"""Per-month figures (``{"YYYY-MM": figures}``) of several keys added up month by month."""
	out: dict[str, dict] = {}
	for monthly in many:
		for month, figures in monthly.items():
			out[month] = add_figures(out.get(month, {}), figures)
	return out


def rollup(
	own: Mapping[str, Mapping], parents: Mapping[str, str | None], add: Callable[..., dict] = add_figures
) -> dict[str, dict]:
	"""Every node's own figures plus those of all its descendants, added with ``add`` (``add_figures``;
	``add_monthly`` for per-month figures). Nodes without figures count as empty; nodes only in ``own``
	are roots."""
	nodes = {**{n: None for n in own}, **dict(parents)}
	return {node: add(*(own.get(n, {}) for n in subtree(node, nodes))) for node in nodes}


def sum_over(keys: Iterable[str], figures_by_key: Mapping[str, Mapping]) -> dict:
	"""The figures of a set of keys (e.g. the users of a team and its sub-teams), each key counted once."""
	return add_figures(*(figures_by_key[k] for k in dict.fromkeys(keys) if k in figures_by_key))


def depth(node: str, parents: Mapping[str, str | None]) -> int:
	"""Number of ancestors of ``node`` (0 for a root); a cycle stops the count."""
	n, seen = 0, {node}
	parent = parents.get(node)
	while parent and parent not in seen:
		seen.add(parent)
		n += 1
		parent = parents.get(parent)
	return n
