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
