"""CRM dashboard and conversion figures: the one place that defines them.

Every function takes aggregate numbers the database returns (counts and sums) and applies the
definitions below. Percentages are floats rounded half up to 2 decimals (0.0 when the denominator is 0);
money is ``Decimal`` in cents until ``build_dashboard`` converts it to float at the very end.

Statuses:

- Lead: New, Contacted, Qualified, Unqualified, Converted, Lost. A lead is *active* (in the pipeline)
  when its status is one of ``ACTIVE_LEAD_STATUSES`` = New, Contacted, Qualified.
- Opportunity: Open, Won, Lost. Won and Lost opportunities are *closed*.

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

LEAD_STATUSES = ("New", "Contacted", "Qualified", "Unqualified", "Converted", "Lost")
ACTIVE_LEAD_STATUSES = ("New", "Contacted", "Qualified")
OPPORTUNITY_STATUSES = ("Open", "Won", "Lost")
CLOSED_OPPORTUNITY_STATUSES = ("Won", "Lost")


def conversion_rate(converted_leads: int, total_leads: int) -> float:
	"""Converted leads / all leads x 100."""
	converted, total = as_count("converted_leads", converted_leads), as_count("total_leads", total_leads)
	if converted > total:
		raise ValueError("converted_leads must not exceed total_leads")
	return percent(converted, total)


def win_rate(won: int, lost: int) -> float:
	"""Won / (won + lost) x 100."""
	w, l = as_count("won", won), as_count("lost", lost)
	return percent(w, w + l)


def _amount(name: str, value: Number | None) -> Decimal:
	d = to_decimal(value, name)
	if d < 0:
		raise ValueError(f"{name} must not be negative")
	return d


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


def _json_rows(rows: Iterable[Mapping] | None) -> list[dict]:
	return [{k: _json_value(v) for k, v in dict(row).items()} for row in rows or []]


def build_dashboard(aggregates: Mapping) -> dict:
	"""Build the dashboard response from raw aggregates (missing keys count as 0 or empty):

	- ``total_customers``: number of customers
	- ``total_leads``: all leads ever created; ``active_leads``: leads with an active status;
	  ``converted_leads``: leads with status Converted
	- ``open_opportunities``: count of Open opportunities; ``pipeline_value``: sum of their values
	- ``won_count``/``won_value``: count and value of Won opportunities; ``lost_count``: Lost ones
	- ``closed_cycle_days_total``/``closed_count``: total days from creation to close, and count, of
	  closed opportunities
	- ``recent_interactions``, ``top_opportunities``: lists of rows, passed through (Decimal -> float)
	- ``stage_pipeline``: stage -> open value; ``leads_by_source``: source -> count

	Response: ``totalLeads`` is the active leads, ``totalOpportunities`` the open opportunities,
	``pipelineValue`` their value, ``averageDealSize`` the average open deal size, ``conversionRate`` the
	conversion rate. ``conversionMetrics.averageDealSize`` is the average *won* deal size and drives
	``pipelineVelocity``. Money values are floats rounded to cents."""
	a = aggregates or {}
	open_count = as_count("open_opportunities", a.get("open_opportunities"))
	pipeline = money(_amount("pipeline_value", a.get("pipeline_value")))
	won_count, lost_count = (
		as_count("won_count", a.get("won_count")),
		as_count("lost_count", a.get("lost_count")),
	)
	rate = conversion_rate(a.get("converted_leads"), a.get("total_leads"))
	wins = win_rate(won_count, lost_count)
	won_avg = average_deal_size(a.get("won_value"), won_count)
	cycle = average_sales_cycle_days(a.get("closed_cycle_days_total"), a.get("closed_count"))
	velocity = pipeline_velocity(open_count, wins, won_avg, cycle)
	return {
		"totalCustomers": as_count("total_customers", a.get("total_customers")),
		"totalLeads": as_count("active_leads", a.get("active_leads")),
		"totalOpportunities": open_count,
		"pipelineValue": float(pipeline),
		"conversionRate": rate,
		"averageDealSize": float(average_open_deal_size(pipeline, open_count)),
		"recentInteractions": _json_rows(a.get("recent_interactions")),
		"topOpportunities": _json_rows(a.get("top_opportunities")),
		"stagePipeline": {
			str(k): float(money(_amount("stage_pipeline", v)))
			for k, v in (a.get("stage_pipeline") or {}).items()
		},
		"leadsBySource": {
			str(k): as_count("leads_by_source", v) for k, v in (a.get("leads_by_source") or {}).items()
		},
		"conversionMetrics": {
			"leadToCustomerRate": rate,
			"winRate": wins,
			"averageSalesCycleDays": cycle,
			"averageDealSize": float(won_avg),
			"pipelineVelocity": float(velocity),
		},
	}
