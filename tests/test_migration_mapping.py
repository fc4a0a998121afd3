"""Pure mapping rules of the ERPNext / Frappe CRM migrations (crm_module/domain/migration_map.py)."""

from datetime import datetime
from decimal import Decimal

import pytest

from crm_module.domain import migration_map as mm


@pytest.mark.parametrize(
	"status, migrated, expected",
	[
		("Lead", False, ("New", None)),
		("Open", False, ("New", None)),
		("Replied", False, ("Contacted", None)),
		("Interested", False, ("Qualified", None)),
		("Opportunity", False, ("Qualified", None)),
		("Quotation", False, ("Qualified", None)),
		("Lost Quotation", False, ("Lost", None)),
		("Do Not Contact", False, ("Unqualified", None)),
		("Converted", True, ("Converted", None)),
		("Something New", False, ("New", None)),
		(None, False, ("New", None)),
	],
)
def test_erpnext_lead_status(status, migrated, expected):
	assert mm.erpnext_lead_status(status, migrated) == expected


def test_a_converted_lead_without_its_customer_is_qualified_with_a_note():
	status, note = mm.erpnext_lead_status("Converted", False)
	assert status == "Qualified" and "not migrated" in note


def test_frappe_crm_lead_status():
	assert mm.frappe_crm_lead_status("Nurture", False, False) == ("Contacted", None)
	assert mm.frappe_crm_lead_status("Junk", False, False) == ("Unqualified", None)
	assert mm.frappe_crm_lead_status("Custom", False, False) == ("New", None)
	assert mm.frappe_crm_lead_status("Qualified", True, True) == ("Converted", None)
	status, note = mm.frappe_crm_lead_status("Qualified", True, False)
	assert status == "Qualified" and note


@pytest.mark.parametrize(
	"status, outcome",
	[
		("Open", None),
		("Replied", None),
		("Quotation", None),
		("Converted", "Won"),
		("Lost", "Lost"),
		("Closed", "Lost"),
	],
)
def test_erpnext_opportunity_outcome(status, outcome):
	assert mm.erpnext_opportunity_outcome(status) == outcome


def test_sources_map_into_the_select_options():
	assert mm.lead_source("Cold Calling") == "Cold Call"
	assert mm.lead_source("Reference") == "Referral"
	assert mm.lead_source("Exhibition") == "Event"
	assert mm.lead_source("Website") == "Website"
	assert mm.lead_source("Billboards") == "Other"
	assert mm.lead_source(None) is None
	# the opportunity's options have no Cold Call
	assert mm.opportunity_source("Cold Calling") == "Other"
	assert mm.opportunity_source("Reference") == "Referral"
	assert mm.opportunity_type("Sales") == "New Business"
	assert mm.opportunity_type("Maintenance") == "Other"


def test_loss_reason_joins_reasons_and_notes():
	assert mm.loss_reason(["Price", " Timing ", None], "Went elsewhere", "Lost", "Lost") == (
		"Price\nTiming\nWent elsewhere"
	)
	assert mm.loss_reason([], None, "Lost", "Closed") == mm.CLOSED_WITHOUT_REASON
	assert mm.loss_reason([], "", "Lost", "Lost")
	assert mm.loss_reason([], None, None, "Open") is None


def test_money_to_the_cent():
	assert mm.to_cents("10.005") == Decimal("10.01")
	assert mm.to_cents(None) == Decimal("0.00")
	assert mm.to_cents("x") == Decimal("0.00")


def test_opportunity_value_is_the_items_total_else_the_amount():
	items = [{"rate": 1234.565, "qty": 2, "amount": 0}, {"rate": 0.1, "qty": 3}]
	# 1234.565 x 2 = 2469.13 ; 0.1 x 3 = 0.30 (no float drift)
	assert mm.opportunity_value(99, items) == Decimal("2469.43")
	assert mm.opportunity_value("1500.5", []) == Decimal("1500.50")
	assert mm.opportunity_value(None, [{"amount": 12.345}]) == Decimal("12.35")


def test_deal_value_prefers_the_deal_value():
	assert mm.deal_value({"deal_value": 0, "net_total": 800, "total": 900}) == Decimal("800.00")
	assert mm.deal_value({"deal_value": 1200.129}) == Decimal("1200.13")
	assert mm.deal_value({"expected_deal_value": 5}) == Decimal("5.00")
	assert mm.deal_value({}) == Decimal("0.00")


def test_erpnext_stage_plan_orders_known_stages_and_adds_final_ones():
	plans = mm.erpnext_stage_plan(["Negotiation/Review", "Custom Stage", "Prospecting", "Prospecting"])
	names = [p.stage_name for p in plans]
	assert names == ["Prospecting", "Negotiation/Review", "Custom Stage", "Won", "Lost"]
	assert [p.order for p in plans] == [1, 8, 9, 1000, 1001]
	assert plans[0].probability == 10 and plans[2].probability == 0
	assert [(p.is_final, p.outcome, p.source) for p in plans[-2:]] == [
		(True, "Won", None),
		(True, "Lost", None),
	]
	assert len({p.order for p in plans}) == len(plans)


def test_frappe_crm_stage_plan_follows_positions_and_types():
	statuses = [
		{"deal_status": "Won", "position": 6, "probability": 90, "type": "Won"},
		{"deal_status": "Qualification", "position": 1, "probability": 10, "type": "Open"},
		{"deal_status": "Demo", "position": 1, "probability": 25, "type": "Ongoing"},
		{"deal_status": "Lost", "position": 7, "probability": 20, "type": "Lost"},
	]
	plans = mm.frappe_crm_stage_plan(statuses)
	assert [(p.stage_name, p.order) for p in plans] == [
		("Demo", 1),
		("Qualification", 2),
		("Won", 3),
		("Lost", 4),
	]
	won, lost = plans[2], plans[3]
	assert (won.is_final, won.outcome, won.probability) == (True, "Won", 100.0)
	assert (lost.is_final, lost.outcome, lost.probability) == (True, "Lost", 0.0)
	# without a won / lost status the app adds its own final stages
	only_open = mm.frappe_crm_stage_plan(
		[{"deal_status": "New", "position": 1, "probability": 5, "type": "Open"}]
	)
	assert [p.stage_name for p in only_open] == ["New", "Won", "Lost"]


def test_explicit_probability():
	assert mm.explicit_probability(100) is None  # ERPNext's default
	assert mm.explicit_probability(0) is None
	assert mm.explicit_probability("35") == 35.0
	assert mm.explicit_probability(None) is None


def test_pick_owner():
	enabled = {"a@x.com", "b@x.com"}
	assert mm.pick_owner(["gone@x.com", "b@x.com"], enabled) == ("b@x.com", None)
	owner, note = mm.pick_owner(["gone@x.com", None], enabled)
	assert owner is None and "gone@x.com" in note
	assert mm.pick_owner([None, ""], enabled) == (None, None)
	assert mm.pick_owner(["Administrator"], enabled) == (None, None)


def test_assignees():
	assert mm.assignees('["a@x.com", "b@x.com"]') == ["a@x.com", "b@x.com"]
	assert mm.assignees(None) == [] and mm.assignees("not json") == [] and mm.assignees("{}") == []


def test_names():
	assert mm.lead_name(None, "Ada", "Lovelace", "ACME", None) == "Ada Lovelace"
	assert mm.lead_name("  ", None, None, "ACME", None) == "ACME"
	assert mm.lead_name(None, None, None, None, "jo@x.com") == "jo"
	assert mm.lead_name(None, None, None, None, None) is None
	assert mm.split_name("Ada  King Lovelace") == ("Ada", "King Lovelace")
	assert mm.split_name("") == (None, None)


def test_call_details():
	assert mm.duration_minutes(89) == 1
	assert mm.duration_minutes(90) == 2
	assert mm.duration_minutes(None) == 0 and mm.duration_minutes(-5) == 0
	assert mm.call_subject("Incoming", "+1555", "+1666") == "Incoming call from +1555"
	assert mm.call_subject("Outgoing", "+1555", "+1666") == "Outgoing call to +1666"


def test_unique_points_keep_one_primary():
	rows = [("A@x.com", False), ("b@x.com", True), ("a@x.com", True), ("", True)]
	assert mm.unique_points(rows) == [("A@x.com", True), ("b@x.com", False)]
	assert mm.unique_points([("x", False), ("y", False)]) == [("x", True), ("y", False)]
	assert mm.unique_points([]) == []


def test_notes_text():
	rows = [
		{"note": "Called", "added_by": "a@x.com", "added_on": "2026-01-02"},
		{"note": "  "},
		{"note": "Met"},
	]
	assert mm.notes_text(rows) == "Called\n(a@x.com 2026-01-02)\n\nMet"
	assert mm.notes_text([]) is None


def test_decide():
	t0, t1 = datetime(2026, 1, 1, 10), datetime(2026, 1, 2, 10)
	assert mm.decide(None, t0, False) == mm.CREATE
	assert mm.decide(t0, t0, False) == mm.CREATE  # the target was deleted: recreate
	assert mm.decide(t0, t0, True) == mm.SKIP
	assert mm.decide(t0, t1, True) == mm.UPDATE
	assert mm.decide(t1, t0, True) == mm.SKIP


def test_report_counts_and_text():
	report = mm.MigrationReport(mm.ERPNEXT)
	report.created("Lead")
	report.unchanged("Lead")
	report.skipped("Lead", "L-2", "no name or email")
	report.updated("Opportunity")
	report.note("Lead", "L-1", "owner x is not an enabled user: not mapped")
	report.created("Lead (as customer)")
	report.joined("Lead (as customer)")
	assert report.counts() == {
		"Lead": {"created": 1, "updated": 0, "joined": 0, "skipped": 2, "unchanged": 1, "refused": 1},
		"Opportunity": {"created": 0, "updated": 1, "joined": 0, "skipped": 0, "unchanged": 0, "refused": 0},
		"Lead (as customer)": {
			"created": 1,
			"updated": 0,
			"joined": 1,
			"skipped": 0,
			"unchanged": 0,
			"refused": 0,
		},
	}
	assert report.totals() == {
		"created": 2,
		"updated": 1,
		"joined": 1,
		"skipped": 2,
		"unchanged": 1,
		"refused": 1,
	}
	assert report.as_text().splitlines() == [
		"Migration from ERPNext",
		"======================",
		"Lead: created 1, updated 0, skipped 2 (1 unchanged since the last migration, 1 refused)",
		"Opportunity: created 0, updated 1, skipped 0",
		"Lead (as customer): created 1, updated 0, skipped 0, joined 1 to a record already there (the same person)",
		"Total: created 2, updated 1, skipped 2 (1 unchanged since the last migration, 1 refused), joined 1 to a"
		" record already there (the same person)",
		"",
		"Lead:",
		"  - refused: Lead L-2: no name or email",
		"  - note: Lead L-1: owner x is not an enabled user: not mapped",
	]
	assert "dry run" in mm.MigrationReport(mm.FRAPPE_CRM, dry_run=True).as_text()


def test_customers_made_from_a_person():
	assert mm.as_customer("Contact") == "Contact (as customer)"
	assert mm.person_customer(" Ada ", "Lovelace", "ignored", "ada@x.org") == ("Ada Lovelace", mm.INDIVIDUAL)
	assert mm.person_customer("", None, " Grace Hopper ", None) == ("Grace Hopper", mm.INDIVIDUAL)
	assert mm.person_customer(None, None, "", "alan@x.org") == ("alan", mm.INDIVIDUAL)
	assert mm.person_customer(None, " ", None, "not-an-email") is None


def test_customers_made_from_a_lead():
	# a lead naming its company becomes a company customer, else a person customer
	assert mm.lead_customer(" Initech ", "Peter", "Peter", "Gibbons", None) == ("Initech", mm.COMPANY)
	assert mm.lead_customer("", "Peter Gibbons", None, None, None) == ("Peter Gibbons", mm.INDIVIDUAL)
	assert mm.lead_customer(None, "", "Peter", "Gibbons", None) == ("Peter Gibbons", mm.INDIVIDUAL)
	assert mm.lead_customer(None, None, None, None, "peter@initech.example") == ("peter", mm.INDIVIDUAL)
	assert mm.lead_customer(" ", None, None, None, None) is None


def test_customer_type_and_lifecycle():
	assert mm.customer_type("Individual") == mm.INDIVIDUAL
	assert [mm.customer_type(v) for v in ("Company", "Partnership", None)] == [mm.COMPANY] * 3
	assert (mm.lifecycle_stage(True), mm.lifecycle_stage(False)) == ("Customer", "Prospect")
