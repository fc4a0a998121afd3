"""Migrations from ERPNext's CRM and from Frappe CRM (issue 12): the mapping tables and rules.

Pure Python (no frappe). The services in `crm_module/services/migration*.py` read the source records and
write this app's records through the ORM; every decision about *what* a source value becomes is here.

Definitions:

- A source record is *created* when no link back to it is stored (or the record it pointed at is gone),
  *updated* when its ``modified`` is later than the ``source_modified`` stored with the link, and
  *skipped* otherwise (unchanged), or when it cannot be mapped (a reason is reported per record).
- Money is mapped to the cent (half up), as `Decimal`.
- An opportunity's value is the total of its items (amount = rate x qty, as ERPNext computes it) when
  it has items, else its ``opportunity_amount``.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from crm_module.domain.migration_records import (  # noqa: F401  (one module for the services)
	COMPANY,
	CREATE,
	INDIVIDUAL,
	SKIP,
	UPDATE,
	MigrationReport,
	Section,
	as_customer,
	assignees,
	call_subject,
	customer_type,
	decide,
	duration_minutes,
	lead_customer,
	lead_name,
	lifecycle_stage,
	notes_text,
	person_customer,
	person_name,
	pick_owner,
	split_name,
	unique_points,
)
from crm_module.domain.sources import LEAD_SOURCES, OPPORTUNITY_SOURCES

ERPNEXT = "ERPNext"
FRAPPE_CRM = "Frappe CRM"
# command / API argument -> source_app
SOURCES = {"erpnext": ERPNEXT, "frappe-crm": FRAPPE_CRM}
# source_app -> the Frappe app that must be installed
SOURCE_APPS = {ERPNEXT: "erpnext", FRAPPE_CRM: "crm"}

# ------------------------------------------------------------------ statuses

# ERPNext Lead.status -> CRM Sales Lead.status ("Converted" only when the lead's customer is migrated)
ERPNEXT_LEAD_STATUS = {
	"Lead": "New",
	"Open": "New",
	"Replied": "Contacted",
	"Interested": "Qualified",
	"Opportunity": "Qualified",
	"Quotation": "Qualified",
	"Lost Quotation": "Lost",
	"Converted": "Converted",
	"Do Not Contact": "Unqualified",
}
# Frappe CRM's default CRM Lead Status records -> CRM Sales Lead.status (others: New)
FRAPPE_CRM_LEAD_STATUS = {
	"New": "New",
	"Contacted": "Contacted",
	"Nurture": "Contacted",
	"Qualified": "Qualified",
	"Unqualified": "Unqualified",
	"Junk": "Unqualified",
}
# ERPNext Opportunity.status -> outcome (None: open, the stage comes from sales_stage)
ERPNEXT_OPPORTUNITY_OUTCOME = {
	"Open": None,
	"Replied": None,
	"Quotation": None,
	"Converted": "Won",
	"Lost": "Lost",
	"Closed": "Lost",  # closed by hand without an order: lost, with the reason below when none is given
}
CLOSED_WITHOUT_REASON = "Closed in ERPNext"
# Frappe CRM's CRM Deal Status.type -> final outcome (None: an open stage)
FRAPPE_CRM_STATUS_OUTCOME = {"Open": None, "Ongoing": None, "On Hold": None, "Won": "Won", "Lost": "Lost"}

# ERPNext's default Sales Stage records, in pipeline order, with a default win probability
ERPNEXT_STAGE_DEFAULTS = (
	("Prospecting", 10),
	("Qualification", 20),
	("Needs Analysis", 30),
	("Value Proposition", 40),
	("Identifying Decision Makers", 50),
	("Perception Analysis", 60),
	("Proposal/Price Quote", 70),
	("Negotiation/Review", 80),
)
WON_STAGE, LOST_STAGE = "Won", "Lost"
FINAL_STAGE_ORDERS = {WON_STAGE: 1000, LOST_STAGE: 1001}

# Lead Source records (ERPNext and Frappe CRM ship the same defaults) -> CRM Sales Lead.source
LEAD_SOURCE = {
	"Existing Customer": "Referral",
	"Reference": "Referral",
	"Supplier Reference": "Referral",
	"Advertisement": "Campaign",
	"Campaign": "Campaign",
	"Mass Mailing": "Campaign",
	"Cold Calling": "Cold Call",
	"Exhibition": "Event",
	"Walk In": "Inbound",
	"Customer's Vendor": "Partner",
	"Website": "Website",
}
OPPORTUNITY_TYPE = {"Sales": "New Business"}
CALL_OUTCOME = {
	"Completed": "Neutral",
	"No Answer": "No Response",
	"Busy": "No Response",
	"Failed": "No Response",
	"Canceled": "No Response",
}
TASK_DONE = frozenset({"Done", "Canceled"})


def erpnext_lead_status(status: str | None, customer_migrated: bool) -> tuple[str, str | None]:
	"""(CRM Sales Lead status, note): "Converted" needs the customer it was converted to; without it the
	lead is Qualified and the note says why."""
	mapped = ERPNEXT_LEAD_STATUS.get(status or "", "New")
	if mapped == "Converted" and not customer_migrated:
		return "Qualified", "converted in ERPNext but its customer is not migrated: status Qualified"
	return mapped, None


def frappe_crm_lead_status(
	status: str | None, converted: bool, customer_migrated: bool
) -> tuple[str, str | None]:
	"""(CRM Sales Lead status, note) of a Frappe CRM lead (`converted`: turned into a deal)."""
	if converted:
		if customer_migrated:
			return "Converted", None
		return (
			"Qualified",
			"converted in Frappe CRM but its deal's customer is not migrated: status Qualified",
		)
	return FRAPPE_CRM_LEAD_STATUS.get(status or "", "New"), None


def erpnext_opportunity_outcome(status: str | None) -> str | None:
	"""None (open), "Won" or "Lost"; unknown statuses count as open."""
	return ERPNEXT_OPPORTUNITY_OUTCOME.get(status or "")


def lead_source(source: str | None) -> str | None:
	"""A CRM Sales Lead source for a Lead Source name (same name when it is one of ours, else Other)."""
	if not source:
		return None
	if source in LEAD_SOURCES:
		return source
	return LEAD_SOURCE.get(source, "Other")


def opportunity_source(source: str | None) -> str | None:
	mapped = lead_source(source)
	if mapped is None:
		return None
	return mapped if mapped in OPPORTUNITY_SOURCES else "Other"


def opportunity_type(kind: str | None) -> str | None:
	if not kind:
		return None
	return OPPORTUNITY_TYPE.get(kind, "Other")


def loss_reason(
	reasons: Iterable[str | None], notes: str | None, outcome: str | None, status: str | None
) -> str | None:
	"""The win/loss reason: the lost reasons then the free text, one per line; a lost opportunity without
	any gets `CLOSED_WITHOUT_REASON` (ERPNext "Closed") or "Lost in <app>"."""
	parts = [r.strip() for r in reasons if r and r.strip()]
	if notes and notes.strip() and notes.strip() not in parts:
		parts.append(notes.strip())
	if parts:
		return "\n".join(parts)
	if outcome == "Lost":
		return CLOSED_WITHOUT_REASON if status == "Closed" else "Lost (no reason recorded in the source)"
	return None


# ------------------------------------------------------------------ money


def to_cents(value) -> Decimal:
	"""`value` as a Decimal rounded half up to the cent (empty or invalid: 0)."""
	try:
		number = Decimal(str(value if value not in (None, "") else 0))
	except InvalidOperation:
		return Decimal("0.00")
	return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def opportunity_value(opportunity_amount, items: Sequence[Mapping]) -> Decimal:
	"""The total of the items (rate x qty each, else their amount) when there are items, else the
	opportunity amount."""
	if items:
		total = Decimal("0")
		for item in items:
			rate, qty = item.get("rate"), item.get("qty")
			if rate not in (None, "") and qty not in (None, ""):
				total += to_cents(Decimal(str(rate)) * Decimal(str(qty)))
			else:
				total += to_cents(item.get("amount"))
		return to_cents(total)
	return to_cents(opportunity_amount)


def deal_value(deal: Mapping) -> Decimal:
	"""A Frappe CRM deal's value: deal_value, else the products' net total / total, else the expected value."""
	for key in ("deal_value", "net_total", "total", "expected_deal_value"):
		value = to_cents(deal.get(key))
		if value:
			return value
	return Decimal("0.00")


# ------------------------------------------------------------------ stages


@dataclass(frozen=True)
class StagePlan:
	"""A pipeline stage to create for a source stage."""

	source: str | None  # the source stage's name (None: a final stage the app adds)
	stage_name: str
	order: int
	probability: float
	is_final: bool = False
	outcome: str | None = None


def erpnext_stage_plan(stage_names: Iterable[str]) -> list[StagePlan]:
	"""ERPNext Sales Stages (no order, no probability): known ones in ERPNext's order with their default
	probability, others after them in the given order (probability 0), then final Won and Lost stages."""
	known = {
		name: (index + 1, probability) for index, (name, probability) in enumerate(ERPNEXT_STAGE_DEFAULTS)
	}
	names = list(dict.fromkeys(n for n in stage_names if n and n.strip()))
	plans = [StagePlan(n, n, *known[n]) for n in names if n in known]
	next_order = len(ERPNEXT_STAGE_DEFAULTS) + 1
	for n in names:
		if n not in known:
			plans.append(StagePlan(n, n, next_order, 0))
			next_order += 1
	return sorted(plans, key=lambda p: p.order) + final_stages()


def frappe_crm_stage_plan(statuses: Iterable[Mapping]) -> list[StagePlan]:
	"""CRM Deal Status records ({deal_status, position, probability, type}) -> stages ordered by position
	(unique orders 1..n), final for types Won / Lost. Final Won / Lost stages are added when missing."""
	rows = sorted(statuses, key=lambda r: (int(r.get("position") or 0), r.get("deal_status") or ""))
	plans = []
	for order, row in enumerate(rows, start=1):
		outcome = FRAPPE_CRM_STATUS_OUTCOME.get(row.get("type") or "Open")
		probability = {"Won": 100.0, "Lost": 0.0}.get(outcome or "", float(row.get("probability") or 0))
		plans.append(
			StagePlan(
				row["deal_status"],
				row["deal_status"],
				order,
				min(max(probability, 0.0), 100.0),
				bool(outcome),
				outcome,
			)
		)
	outcomes = {p.outcome for p in plans}
	return plans + [p for p in final_stages() if p.outcome not in outcomes]


def final_stages() -> list[StagePlan]:
	return [
		StagePlan(None, WON_STAGE, FINAL_STAGE_ORDERS[WON_STAGE], 100.0, True, "Won"),
		StagePlan(None, LOST_STAGE, FINAL_STAGE_ORDERS[LOST_STAGE], 0.0, True, "Lost"),
	]


def explicit_probability(probability) -> float | None:
	"""An ERPNext opportunity's probability when it says something (strictly between 0 and 100: ERPNext
	defaults it to 100), else None (the stage's default applies)."""
	try:
		value = float(probability)
	except (TypeError, ValueError):
		return None
	return value if 0 < value < 100 else None
