"""Automation rules: the framework-free part (crm_module/domain/automation.py)."""

from datetime import date, datetime

import pytest

from crm_module.domain import automation as a

LEAD_FIELDS = {
	"status": "Select",
	"lead_name": "Data",
	"latest_score": "Int",
	"conversion_probability": "Percent",
	"follow_up_date": "Date",
	"source": "Select",
}


def test_every_event_names_its_doctype_and_kind():
	assert a.doctype_of("Lead Created") == "CRM Sales Lead"
	assert a.doctype_of("Opportunity Without Activity") == "CRM Opportunity"
	assert a.doctype_of("Customer Health Turned Red") == "CRM Customer Profile"
	assert a.QUEUED_EVENTS == {"Lead Created", "Lead Status Changed", "Opportunity Stage Changed"}
	with pytest.raises(ValueError, match="event must be one of"):
		a.doctype_of("Lead Deleted")


@pytest.mark.parametrize(
	"row, expected",
	[
		({"field": "status", "operator": "=", "value": "New"}, ("status", "=", "New")),
		({"field": "status", "operator": "!=", "value": "Lost"}, ("status", "!=", "Lost")),
		({"field": "latest_score", "operator": ">", "value": "40"}, ("latest_score", ">", 40)),
		({"field": "latest_score", "operator": "<=", "value": "7.0"}, ("latest_score", "<=", 7)),
		(
			{"field": "conversion_probability", "operator": ">=", "value": "12.5"},
			("conversion_probability", ">=", 12.5),
		),
		(
			{"field": "source", "operator": "in", "value": "Web, Referral"},
			("source", "in", ["Web", "Referral"]),
		),
		({"field": "source", "operator": "not in", "value": "A\nB"}, ("source", "not in", ["A", "B"])),
		({"field": "lead_name", "operator": "like", "value": "acme"}, ("lead_name", "like", "%acme%")),
		({"field": "lead_name", "operator": "like", "value": "ac%"}, ("lead_name", "like", "ac%")),
		({"field": "follow_up_date", "operator": "is set", "value": ""}, ("follow_up_date", "is", "set")),
		({"field": "follow_up_date", "operator": "is not set"}, ("follow_up_date", "is", "not set")),
		(
			{"field": "follow_up_date", "operator": "<", "value": "2026-01-31"},
			("follow_up_date", "<", "2026-01-31"),
		),
		({"field": "owner", "operator": "=", "value": "a@example.com"}, ("owner", "=", "a@example.com")),
	],
)
def test_conditions_become_filter_tuples(row, expected):
	assert a.translate_condition(1, row, LEAD_FIELDS) == expected


@pytest.mark.parametrize(
	"row, message",
	[
		({"field": "budget", "operator": "=", "value": "1"}, r"Condition row 2: field budget does not exist"),
		({"field": "", "operator": "=", "value": "1"}, r"Condition row 2: field is required"),
		({"field": "status", "operator": "~", "value": "1"}, r"Condition row 2 \(status\): operator"),
		({"field": "latest_score", "operator": ">", "value": "many"}, r"row 2 \(latest_score\).*number"),
		({"field": "follow_up_date", "operator": ">", "value": "soon"}, r"row 2 \(follow_up_date\).*date"),
		({"field": "source", "operator": "in", "value": " , "}, r"row 2 \(source\): in needs"),
		({"field": "lead_name", "operator": "like", "value": ""}, r"like needs a pattern"),
	],
)
def test_bad_conditions_name_the_row_and_field(row, message):
	with pytest.raises(ValueError, match=message):
		a.translate_conditions([{"field": "status", "operator": "=", "value": "New"}, row], LEAD_FIELDS)


def test_event_keys_identify_one_occurrence():
	assert a.event_key("Lead Status Changed", "abc123") == "queue:abc123"
	assert a.event_key("Opportunity Closing Date Passed", date(2026, 3, 1)) == "close:2026-03-01"
	assert a.event_key("Opportunity Without Activity", datetime(2026, 3, 1, 17, 5)) == "idle:2026-03-01"
	assert a.event_key("Customer Health Turned Red", "2026-03-02") == "red:2026-03-02"
	assert a.event_key("Lead Grade Changed", date(2026, 3, 2)) == "grade:2026-03-02"
	# a moved closing date is a new occurrence
	assert a.event_key("Opportunity Closing Date Passed", date(2026, 3, 8)) != a.event_key(
		"Opportunity Closing Date Passed", date(2026, 3, 1)
	)


def test_matching_events_filters_on_from_and_to_values():
	events = [
		{"name": "1", "from_value": "New", "to_value": "Contacted"},
		{"name": "2", "from_value": "Contacted", "to_value": "Qualified"},
		{"name": "3", "from_value": None, "to_value": "Qualified"},
	]
	assert [e["name"] for e in a.matching_events(events, None, None)] == ["1", "2", "3"]
	assert [e["name"] for e in a.matching_events(events, None, "Qualified")] == ["2", "3"]
	assert [e["name"] for e in a.matching_events(events, "Contacted", "Qualified")] == ["2"]
	assert a.matching_events(events, "Lost", "") == []


def test_change_event_only_for_listened_events():
	before = {"status": "New", "stage": None}
	after = {"status": "Contacted"}
	listened = {"Lead Status Changed", "Lead Created", "Opportunity Stage Changed"}
	assert a.change_event("CRM Sales Lead", False, before, after, listened) == [
		("Lead Status Changed", "New", "Contacted")
	]
	assert a.change_event("CRM Sales Lead", True, None, after, listened) == [("Lead Created", None, None)]
	assert a.change_event("CRM Sales Lead", False, before, after, {"Lead Created"}) == []
	assert a.change_event("CRM Sales Lead", False, after, after, listened) == []
	assert a.change_event("CRM Opportunity", False, {"stage": "A"}, {"stage": "B"}, listened) == [
		("Opportunity Stage Changed", "A", "B")
	]


def test_transitions_along_history_rows():
	history = {
		"C1": [("d1", "Yellow"), ("d2", "Red")],  # turned red on d2
		"C2": [("d1", "Red"), ("d2", "Red")],  # already red before the window
		"C3": [("d2", "Red")],  # first score ever is red
	}
	prior = {"C1": "Green", "C2": "Red"}
	found = a.transitions(history, prior, to_value="Red", first_counts=True)
	assert [(f["name"], f["day"]) for f in found] == [("C1", "d2"), ("C3", "d2")]
	grades = {"L1": [("d1", "B"), ("d2", "A")], "L2": [("d2", "C")], "L3": [("d1", "B"), ("d2", "B")]}
	found = a.transitions(grades, {"L1": "B", "L3": "C"})
	assert [(f["name"], f["day"], f["from_value"], f["to_value"]) for f in found] == [
		("L1", "d2", "B", "A"),
		("L3", "d1", "C", "B"),
	]
	assert a.transitions(grades, {"L1": "B", "L3": "C"}, to_value="A", from_value="B")[0]["name"] == "L1"


def test_placeholders_and_rendering():
	template = "Call {lead_name} about {name} ({lead_name}); {missing}"
	assert a.placeholders(template) == ["lead_name", "name", "missing"]
	assert a.render(template, {"lead_name": "Ada", "name": "L-1"}) == "Call Ada about L-1 (Ada); {missing}"
	assert a.render("{lead_name}", {"lead_name": None}) == ""
	with pytest.raises(ValueError, match=r"todo_description: unknown field placeholder \{missing\}"):
		a.check_placeholders(template, LEAD_FIELDS, "todo_description")
	a.check_placeholders("{name} {lead_name}", LEAD_FIELDS, "todo_description")


def test_set_field_must_be_settable():
	assert a.check_set_field(" quality ", {"quality": "Select"}) == "quality"
	with pytest.raises(ValueError, match="set_field: latest_grade cannot be set"):
		a.check_set_field("latest_grade", {"quality": "Select"})
	with pytest.raises(ValueError, match="a field is required"):
		a.check_set_field("", {"quality": "Select"})


def test_digest_subject():
	assert a.digest("Stale deals", ["OPP-1"]) == "Stale deals: OPP-1"
	subject = a.digest("Stale deals", [f"OPP-{i}" for i in range(12)], limit=3)
	assert subject == "Stale deals: 12 records: OPP-0, OPP-1, OPP-2 and 9 more"
