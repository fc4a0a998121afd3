"""Month-by-month sales figures: won and lost deals by the month they closed, new pipeline by the month
it was created.

Definitions:

- A month is ``"YYYY-MM"``. `month_range(start, end)` lists every month from the one holding ``start``
  to the one holding ``end``, both included (empty when ``end`` is before ``start``).
- `monthly_series` takes grouped database rows ``{"month", "status", "count", "value"}`` (``status`` is
  ``"Won"``, ``"Lost"`` or ``"New"`` for pipeline created that month) and returns one entry per month
  of the range, months without rows included with zeros, rows outside the range ignored:
  ``{"month", "won_count", "won_value", "lost_count", "lost_value", "new_count", "new_value"}``. Money is
  rounded half up to cents (as float); counts are integers.
"""

from collections.abc import Iterable, Mapping
from datetime import date

from crm_module.domain.money import money, to_decimal
from crm_module.domain.validation import as_count

KINDS = {"Won": "won", "Lost": "lost", "New": "new"}


def month_key(day: date) -> str:
	return f"{day.year:04d}-{day.month:02d}"


def month_range(start: date, end: date) -> list[str]:
	"""Every month from `start`'s to `end`'s, in order."""
	months, year, month = [], start.year, start.month
	while (year, month) <= (end.year, end.month):
		months.append(f"{year:04d}-{month:02d}")
		year, month = (year + 1, 1) if month == 12 else (year, month + 1)
	return months


def monthly_series(months: list[str], rows: Iterable[Mapping]) -> list[dict]:
	"""One entry per month of `months` (see the module docstring)."""
	series = {
		month: {
			"month": month,
			**{f"{kind}_{part}": 0 for kind in KINDS.values() for part in ("count", "value")},
		}
		for month in months
	}
	for row in rows:
		entry = series.get(row["month"])
		kind = KINDS.get(row["status"])
		if entry is None or kind is None:
			continue
		entry[f"{kind}_count"] += as_count(f"{kind}_count", row["count"])
		entry[f"{kind}_value"] += to_decimal(row["value"], f"{kind}_value")
	for entry in series.values():
		for kind in KINDS.values():
			entry[f"{kind}_value"] = float(money(entry[f"{kind}_value"]))
	return list(series.values())
