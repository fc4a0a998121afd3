"""Status groups are defined once (`crm_module.domain.statuses`) and everything that filters by them agrees."""

import json

from crm_module.domain.statuses import (
	LEAD_ACTIVE_STATUSES,
	LEAD_DECIDED_STATUSES,
	LEAD_FINISHED_STATUSES,
	LEAD_STATUSES,
	OPPORTUNITY_CLOSED_STATUSES,
	OPPORTUNITY_STATUSES,
)
from tests.app_meta import desk_records, doctypes


def select_options(doctype: str, fieldname: str) -> tuple[str, ...]:
	field = next(f for f in doctypes()[doctype]["fields"] if f["fieldname"] == fieldname)
	return tuple(option for option in field["options"].split("\n") if option)


def test_lead_groups_partition_the_lead_statuses():
	assert select_options("CRM Sales Lead", "status") == LEAD_STATUSES
	assert set(LEAD_ACTIVE_STATUSES) | set(LEAD_DECIDED_STATUSES) == set(LEAD_STATUSES)
	assert not set(LEAD_ACTIVE_STATUSES) & set(LEAD_DECIDED_STATUSES)
	assert set(LEAD_FINISHED_STATUSES) < set(LEAD_DECIDED_STATUSES)
	assert "Unqualified" not in LEAD_FINISHED_STATUSES  # still nurtured: follow-ups go on


def test_opportunity_groups():
	assert select_options("CRM Opportunity", "status") == OPPORTUNITY_STATUSES
	assert set(OPPORTUNITY_CLOSED_STATUSES) == set(OPPORTUNITY_STATUSES) - {"Open"}


def test_leads_by_source_chart_counts_the_active_leads_like_the_api():
	chart = desk_records("Dashboard Chart")["CRM Leads by Source"]
	filters = json.loads(chart["filters_json"])
	assert filters == [["CRM Sales Lead", "status", "in", list(LEAD_ACTIVE_STATUSES), False]]


def test_number_cards_filter_by_the_same_groups():
	cards = desk_records("Number Card")
	assert json.loads(cards["CRM Active Leads"]["filters_json"]) == [
		["CRM Sales Lead", "status", "in", list(LEAD_ACTIVE_STATUSES), False]
	]
	for name in ("CRM Open Opportunities", "CRM Pipeline Value"):
		assert json.loads(cards[name]["filters_json"]) == [["CRM Opportunity", "status", "=", "Open", False]]
