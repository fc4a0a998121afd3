"""Opportunity forecasting.

Definitions:

- The forecast (weighted) amount of an opportunity is ``value x probability_percent / 100``, rounded
  half up to cents. ``value`` must be ``>= 0`` and ``probability_percent`` between 0 and 100.
- Day counts are whole calendar days: datetimes are reduced to their date, and a negative span (end
  before start) counts as 0.
- Row-based functions take dicts as the database returns them. A row that has a ``status`` key counts
  only when the status is ``"Open"``; a row without ``status`` is taken as open. Weighted totals are the
  sum of the per-row cent-rounded forecast amounts, so they are exact in cents.
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

from crm_module.domain.money import HUNDRED, ZERO, Number, money, to_decimal

DateLike = date | datetime | str


def validate_probability(probability_percent: Number | None, field: str = "probability_percent") -> Decimal:
	"""Return the probability as ``Decimal``; raise ``ValueError`` naming ``field`` unless 0 <= p <= 100."""
	p = to_decimal(probability_percent, field)
	if p < 0 or p > HUNDRED:
		raise ValueError(f"{field} must be between 0 and 100")
	return p


def forecast_amount(value: Number | None, probability_percent: Number | None) -> Decimal:
	"""Return ``value x probability_percent / 100`` rounded half up to cents.

	``forecast_amount(1000, 35) == Decimal("350.00")``; ``None`` counts as 0."""
	v = to_decimal(value, "value")
	if v < 0:
		raise ValueError("value must not be negative")
	p = validate_probability(probability_percent)
	return money(v * p / HUNDRED)


def to_date(d: DateLike, field: str = "date") -> date:
	"""Return ``d`` as a ``date``: datetimes lose their time, ISO strings (``YYYY-MM-DD[...]``) are parsed."""
	if isinstance(d, datetime):
		return d.date()
	if isinstance(d, date):
		return d
	if isinstance(d, str):
		try:
			return date.fromisoformat(d.strip()[:10])
		except ValueError:
			pass
	raise ValueError(f"{field} must be a date, got {d!r}")


def days_between(start: DateLike, end: DateLike) -> int:
	"""Return the whole calendar days from ``start`` to ``end``, or 0 when ``end`` is before ``start``."""
	return max(0, (to_date(end, "end") - to_date(start, "start")).days)


def days_in_pipeline(created: DateLike, closed: DateLike | None, today: DateLike) -> int:
	"""Return the days an opportunity has spent in the pipeline: from ``created`` to ``closed`` when it is
	closed, else to ``today``."""
	return days_between(created, closed if closed else today)


def _is_open(row: Mapping) -> bool:
	status = row.get("status")
	return status is None or status == "Open"


def weighted_pipeline(rows: Iterable[Mapping]) -> dict[str, Decimal]:
	"""Group rows of ``{"stage", "value", "probability_percent"}`` by stage into the sum of their forecast
	amounts (cents). Stages keep their first-seen order; a missing stage is grouped under ``""``."""
	totals: dict[str, Decimal] = {}
	for row in rows:
		if not _is_open(row):
			continue
		stage = row.get("stage") or ""
		amount = forecast_amount(row.get("value"), row.get("probability_percent"))
		totals[stage] = totals.get(stage, ZERO) + amount
	return {stage: money(total) for stage, total in totals.items()}


def month_key(d: DateLike) -> str:
	"""Return the ``"YYYY-MM"`` month of a date."""
	return to_date(d).strftime("%Y-%m")


def forecast_by_month(
	rows: Iterable[Mapping],
	start: DateLike | None = None,
	end: DateLike | None = None,
	fill_empty: bool = False,
) -> dict[str, dict[str, Decimal]]:
	"""Group open opportunities by the month of ``expected_close_date`` into
	``{"YYYY-MM": {"value": total value, "weighted": total forecast amount}}`` sorted by month.

	Rows without an expected close date are skipped. ``start``/``end`` (inclusive, compared by month)
	restrict the months; with ``fill_empty`` and both bounds given, months without opportunities appear
	with zero totals."""
	first = month_key(start) if start else None
	last = month_key(end) if end else None
	if first and last and first > last:
		raise ValueError("start must not be after end")
	out: dict[str, dict[str, Decimal]] = {}
	if fill_empty and first and last:
		y, m = int(first[:4]), int(first[5:])
		while f"{y:04d}-{m:02d}" <= last:
			out[f"{y:04d}-{m:02d}"] = {"value": money(0), "weighted": money(0)}
			y, m = (y + 1, 1) if m == 12 else (y, m + 1)
	for row in rows:
		if not _is_open(row) or not row.get("expected_close_date"):
			continue
		key = month_key(row["expected_close_date"])
		if (first and key < first) or (last and key > last):
			continue
		bucket = out.setdefault(key, {"value": money(0), "weighted": money(0)})
		value = money(row.get("value"))
		if value < 0:
			raise ValueError("value must not be negative")
		bucket["value"] += value
		bucket["weighted"] += forecast_amount(value, row.get("probability_percent"))
	return dict(sorted(out.items()))


# ---------------------------------------------------------------------------------- forecast categories
#
# Every deal that counts in the revenue forecast falls in one category: Pipeline, Best Case, Commit
# (open deals) or Closed (won deals). A stage carries a category (by default from its probability:
# >= 90 Commit, >= 50 Best Case, else Pipeline; the won stage Closed; the lost stage none); an open
# deal takes its stage's category unless someone overrides it on the deal. Lost deals have no category
# and are never counted.

PIPELINE, BEST_CASE, COMMIT, CLOSED = "Pipeline", "Best Case", "Commit", "Closed"
FORECAST_CATEGORIES = (PIPELINE, BEST_CASE, COMMIT, CLOSED)
OPEN_CATEGORIES = (PIPELINE, BEST_CASE, COMMIT)
COMMIT_FROM, BEST_CASE_FROM = Decimal(90), Decimal(50)


def default_stage_category(
	probability: Number | None, is_final: bool = False, outcome: str | None = None
) -> str:
	"""A stage's default category: Closed for the won stage, "" for the lost stage, else by probability."""
	if is_final:
		return CLOSED if outcome == "Won" else ""
	p = validate_probability(probability, "probability")
	if p >= COMMIT_FROM:
		return COMMIT
	return BEST_CASE if p >= BEST_CASE_FROM else PIPELINE


def deal_category(status: str | None, stage_category: str | None, override: str | None = None) -> str:
	"""A deal's category: Closed when won, "" when lost, else the override, else its stage's category
	(Pipeline when the stage has none)."""
	for name, value in (("stage_category", stage_category), ("override", override)):
		if value and value not in FORECAST_CATEGORIES:
			raise ValueError(f"{name} must be one of {', '.join(FORECAST_CATEGORIES)}, got {value!r}")
	if status == "Won":
		return CLOSED
	if status == "Lost":
		return ""
	if override and override != CLOSED:
		return override
	return stage_category if stage_category in OPEN_CATEGORIES else PIPELINE


# ---------------------------------------------------------------------------------- changes since a snapshot
#
# Two sets of rows ``{"opportunity", "status", "expected_close_date", "value", "forecast_amount"}``
# (an older snapshot and today's figures) compared for one period (first and last day, inclusive). A deal
# is *in the forecast* of the period when it is open and expected to close in the period. Every deal
# in the forecast at either time gets exactly one kind:
#
# - ``new``: not in the older rows at all, in the forecast now;
# - ``moved_in``: known before with a close date outside the period (or closed and reopened), in now;
# - ``won`` / ``lost``: in the forecast before, won / lost now;
# - ``slipped``: in before, still open, close date pushed past the period's end;
# - ``moved_out``: in before, still open, close date moved before the period or removed;
# - ``removed``: in before, absent now (deleted or out of the viewer's reach);
# - ``value_changed``: in at both times with another value or forecast amount;
# - ``unchanged``: in at both times with the same figures.
#
# Each change carries ``value_before``/``value_after`` and ``forecast_before``/``forecast_after``: the
# deal's contribution to the period's open forecast at each time (0 when not in it). So the deltas of
# all kinds add up exactly to ``current - previous`` of the period's open pipeline and forecast.

CHANGE_KINDS = (
	"new",
	"moved_in",
	"won",
	"lost",
	"slipped",
	"moved_out",
	"removed",
	"value_changed",
	"unchanged",
)


def _in_period(row: Mapping | None, start: date, end: date) -> bool:
	if not row or not _is_open(row) or not row.get("expected_close_date"):
		return False
	return start <= to_date(row["expected_close_date"]) <= end


def change_kind(before: Mapping | None, after: Mapping | None, start: date, end: date) -> str | None:
	"""The kind of change of one deal for the period (None: in the forecast at neither time)."""
	was, now = _in_period(before, start, end), _in_period(after, start, end)
	if not was:
		if not now:
			return None
		return "new" if before is None else "moved_in"
	if after is None:
		return "removed"
	if not now:
		if after.get("status") in ("Won", "Lost"):
			return after["status"].lower()
		moved = after.get("expected_close_date")
		return "slipped" if moved and to_date(moved) > end else "moved_out"
	same = money(before.get("value")) == money(after.get("value")) and money(
		before.get("forecast_amount")
	) == money(after.get("forecast_amount"))
	return "unchanged" if same else "value_changed"


def classify_changes(
	previous: Iterable[Mapping], current: Iterable[Mapping], start: DateLike, end: DateLike
) -> dict:
	"""``{"changes": [...], "totals": {kind: {count, value_delta, forecast_delta}}, "previous": {value,
	forecast}, "current": {value, forecast}}`` for the period ``start``..``end`` (see above). Changes are
	ordered by kind (``CHANGE_KINDS``), then by the size of the forecast change, largest first."""
	start, end = to_date(start, "start"), to_date(end, "end")
	if start > end:
		raise ValueError("start must not be after end")
	before = {row["opportunity"]: row for row in previous}
	after = {row["opportunity"]: row for row in current}
	totals = {
		kind: {"count": 0, "value_delta": money(0), "forecast_delta": money(0)} for kind in CHANGE_KINDS
	}
	sums = {
		"previous": {"value": money(0), "forecast": money(0)},
		"current": {"value": money(0), "forecast": money(0)},
	}
	changes = []
	for name in dict.fromkeys([*before, *after]):
		old, new = before.get(name), after.get(name)
		kind = change_kind(old, new, start, end)
		if kind is None:
			continue
		was, now = _in_period(old, start, end), _in_period(new, start, end)
		figures = {
			"value_before": money(old.get("value")) if was else money(0),
			"value_after": money(new.get("value")) if now else money(0),
			"forecast_before": money(old.get("forecast_amount")) if was else money(0),
			"forecast_after": money(new.get("forecast_amount")) if now else money(0),
		}
		figures["value_delta"] = figures["value_after"] - figures["value_before"]
		figures["forecast_delta"] = figures["forecast_after"] - figures["forecast_before"]
		for when, present in (("previous", "before"), ("current", "after")):
			sums[when]["value"] += figures[f"value_{present}"]
			sums[when]["forecast"] += figures[f"forecast_{present}"]
		totals[kind]["count"] += 1
		totals[kind]["value_delta"] += figures["value_delta"]
		totals[kind]["forecast_delta"] += figures["forecast_delta"]
		changes.append(
			{
				"opportunity": name,
				"kind": kind,
				"close_date_before": (old or {}).get("expected_close_date"),
				"close_date_after": (new or {}).get("expected_close_date"),
				"status_after": (new or {}).get("status"),
				**figures,
			}
		)
	changes.sort(
		key=lambda c: (CHANGE_KINDS.index(c["kind"]), -abs(c["forecast_delta"]), str(c["opportunity"]))
	)
	return {"changes": changes, "totals": totals, **sums}
