"""CRM dashboard and conversion figures: the one place that defines them.

Every function takes aggregate numbers the database returns (counts and sums) and applies the
definitions below. Percentages are floats rounded half up to 2 decimals (0.0 when the denominator is 0);
money is ``Decimal`` in cents until ``build_dashboard`` converts it to float at the very end.

Statuses:

The status groups (active leads, closed opportunities) are defined in `crm_module.domain.statuses`.

Figures:

- conversion rate = converted leads / all leads ever created (any status) x 100
- win rate = won / (won + lost) x 100 (closed opportunities only)
- average deal size = total value of won opportunities / number won
- average open deal size = pipeline value / number of open opportunities
- pipeline value = sum of the values of open opportunities
- average sales cycle = total days from creation to close of closed opportunities / number closed
  (1 decimal)
- pipeline velocity = open opportunities x (win rate / 100) x average deal size / average sales cycle
  days, money per day (0 when the cycle is 0)
- retention rate = (customers at end - new customers) / customers at start x 100, clamped to 0-100
  (0 when there were no customers at the start)
"""

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crm_module.domain.money import HUNDRED, ZERO, Number, money, percent, safe_div, to_decimal
from crm_module.domain.validation import as_count


def conversion_rate(converted_leads: int, total_leads: int) -> float:
	"""Converted leads / all leads x 100."""
	converted, total = as_count("converted_leads", converted_leads), as_count("total_leads", total_leads)
	if converted > total:
		raise ValueError("converted_leads must not exceed total_leads")
	return percent(converted, total)


def win_rate(won: int, lost: int) -> float:
	"""Won / (won + lost) x 100."""
	won_count, lost_count = as_count("won", won), as_count("lost", lost)
	return percent(won_count, won_count + lost_count)


def _amount(name: str, value: Number | None) -> Decimal:
	amount = to_decimal(value, name)
	if amount < 0:
		raise ValueError(f"{name} must not be negative")
	return amount


def average_deal_size(won_value_total: Number | None, won_count: int) -> Decimal:
	"""Total won value / won count in cents; 0.00 when nothing was won."""
	return money(safe_div(_amount("won_value_total", won_value_total), as_count("won_count", won_count)))


def average_open_deal_size(pipeline_value: Number | None, open_count: int) -> Decimal:
	"""Pipeline value / open opportunities in cents (2500000 / 23 = 108695.65); 0.00 when none."""
	return money(safe_div(_amount("pipeline_value", pipeline_value), as_count("open_count", open_count)))


def pipeline_value(values: Iterable[Number | None]) -> Decimal:
	"""Sum of open opportunity values, each rounded to cents (``None`` counts as 0)."""
	return sum((money(_amount("value", v)) for v in values), ZERO).quantize(Decimal("0.01"))


def average_sales_cycle_days(total_days: Number | None, closed_count: int) -> float:
	"""Total days to close / closed opportunities, rounded half up to 1 decimal; 0.0 when none."""
	avg = safe_div(_amount("total_days", total_days), as_count("closed_count", closed_count))
	return float(avg.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def pipeline_velocity(
	open_count: int, win_rate_percent: Number, average_deal_size: Number, average_cycle_days: Number
) -> Decimal:
	"""Open x (win rate / 100) x average deal size / average cycle days, in cents per day; 0.00 when the
	cycle is 0."""
	n = as_count("open_count", open_count)
	rate = _amount("win_rate_percent", win_rate_percent)
	if rate > HUNDRED:
		raise ValueError("win_rate_percent must be between 0 and 100")
	deal, cycle = (
		_amount("average_deal_size", average_deal_size),
		_amount("average_cycle_days", average_cycle_days),
	)
	if cycle == 0:
		return money(0)
	return money(n * rate / HUNDRED * deal / cycle)


def retention_rate(customers_at_start: int, customers_at_end: int, new_customers: int) -> float:
	"""(end - new) / start x 100 clamped to 0-100; 0.0 when ``customers_at_start`` is 0."""
	start = as_count("customers_at_start", customers_at_start)
	end, new = as_count("customers_at_end", customers_at_end), as_count("new_customers", new_customers)
	if start == 0:
		return 0.0
	return max(0.0, min(100.0, percent(end - new, start)))


def _json_value(value: Any) -> Any:
	return float(money(value)) if isinstance(value, Decimal) else value


def json_rows(rows: Iterable[Mapping] | None) -> list[dict]:
	"""Rows as plain dicts, money (Decimal) as float."""
	return [{k: _json_value(v) for k, v in dict(row).items()} for row in rows or []]


def build_dashboard(aggregates: Mapping) -> dict:
	"""Build the dashboard figures from raw aggregates (missing keys count as 0 or empty):

	- ``total_customers``: number of customers
	- ``total_leads``: all leads ever created; ``active_leads``: leads with an active status;
	  ``converted_leads``: leads with status Converted
	- ``open_opportunities``: count of Open opportunities; ``pipeline_value``: sum of their values
	- ``won_count``/``won_value``: count and value of Won opportunities; ``lost_count``: Lost ones
	- ``closed_cycle_days_total``/``closed_count``: total days from creation to close, and count, of
	  closed opportunities
	- ``recent_interactions``, ``top_opportunities``: lists of rows, passed through (Decimal -> float)
	- ``stage_pipeline``: stage -> open value; ``leads_by_source``: source -> count

	The result uses the same snake_case names (``average_open_deal_size`` over open deals,
	``conversion_metrics.average_won_deal_size`` over won ones, which drives ``pipeline_velocity``); the
	API turns them into the seed's camelCase keys (`crm_module.api.dashboard`). Money values are floats
	rounded to cents."""
	figures = aggregates or {}
	open_count = as_count("open_opportunities", figures.get("open_opportunities"))
	pipeline = money(_amount("pipeline_value", figures.get("pipeline_value")))
	won_count, lost_count = (
		as_count("won_count", figures.get("won_count")),
		as_count("lost_count", figures.get("lost_count")),
	)
	rate = conversion_rate(figures.get("converted_leads"), figures.get("total_leads"))
	wins = win_rate(won_count, lost_count)
	won_average = average_deal_size(figures.get("won_value"), won_count)
	cycle = average_sales_cycle_days(figures.get("closed_cycle_days_total"), figures.get("closed_count"))
	velocity = pipeline_velocity(open_count, wins, won_average, cycle)
	return {
		"total_customers": as_count("total_customers", figures.get("total_customers")),
		"active_leads": as_count("active_leads", figures.get("active_leads")),
		"open_opportunities": open_count,
		"pipeline_value": float(pipeline),
		"conversion_rate": rate,
		"average_open_deal_size": float(average_open_deal_size(pipeline, open_count)),
		"recent_interactions": json_rows(figures.get("recent_interactions")),
		"top_opportunities": json_rows(figures.get("top_opportunities")),
		"stage_pipeline": {
			str(k): float(money(_amount("stage_pipeline", v)))
			for k, v in (figures.get("stage_pipeline") or {}).items()
		},
		"leads_by_source": {
			str(k): as_count("leads_by_source", v) for k, v in (figures.get("leads_by_source") or {}).items()
		},
		"conversion_metrics": {
			"lead_to_customer_rate": rate,
			"win_rate": wins,
			"average_sales_cycle_days": cycle,
			"average_won_deal_size": float(won_average),
			"pipeline_velocity": float(velocity),
		},
	}
