"""Rules of imported rows (crm_module/domain/import_rows.py): coercion, defaults, required fields, the
controllers' rules, duplicates within the file, routing in file order, changed fields."""

from datetime import date, datetime

import pytest

from crm_module.domain.import_doctype_rules import (
	contact_rules,
	interaction_rules,
	lead_rules,
	opportunity_rules,
)
from crm_module.domain.import_rows import (
	Checked,
	Field,
	changed_fields,
	check_row,
	coerce,
	file_duplicates,
	route,
)

NOW = datetime(2026, 3, 1, 9, 30)
LEAD_FIELDS = {
	"lead_name": Field("lead_name", "Data", "Lead Name", reqd=True),
	"email_id": Field("email_id", "Data", "Email", options="Email"),
	"phone": Field("phone", "Data", "Phone"),
	"company_name": Field("company_name", "Data", "Company Name"),
	"status": Field("status", "Select", "Status", "New\nContacted\nConverted", default="New"),
	"source": Field("source", "Select", "Source", "\nWebsite\nReferral"),
	"follow_up_date": Field("follow_up_date", "Date", "Follow Up Date"),
}


def checked_lead(row: dict, number: int = 2) -> Checked:
	item = check_row(number, row, LEAD_FIELDS, NOW)
	lead_rules(item, "US")
	return item


def test_a_valid_row_gets_defaults_and_derived_fields():
	item = checked_lead({"lead_name": "  Ada ", "email_id": " Ada@Example.COM", "company_name": "Acme Inc."})
	assert item.ok
	assert item.values["lead_name"] == "Ada"
	assert item.values["email_id"] == "Ada@example.com"
	assert item.values["status"] == "New"
	assert item.values["company_key"] == "acme"
	assert item.values["source"] is None


@pytest.mark.parametrize(
	("row", "field", "reason"),
	[
		({"email_id": "a@b.com"}, "lead_name", "Lead Name (lead_name) is required"),
		({"lead_name": "A", "status": "Open"}, "status", "'Open' is not one of New, Contacted, Converted"),
		({"lead_name": "A", "email_id": "not-an-email"}, "email_id", "is not a valid email address"),
		({"lead_name": "A", "phone": "12"}, "phone", "is not a valid phone number"),
		({"lead_name": "A", "follow_up_date": "31/12/2026"}, "follow_up_date", "is not a date"),
		({"lead_name": "x" * 141}, "lead_name", "is longer than 140 characters (141)"),
		({"lead_name": "A", "status": "Converted"}, "status", "Converted is set by converting the lead"),
	],
)
def test_each_rule_refuses_the_row_naming_row_and_field(row, field, reason):
	item = checked_lead(row, number=7)
	assert [(r.row, r.field) for r in item.refusals] == [(7, field)]
	assert reason in item.refusals[0].reason


def test_phones_become_e164_in_the_sites_region():
	item = checked_lead({"lead_name": "A", "phone": "(415) 555-0123"})
	assert item.values["phone"] == "+14155550123"
	item = check_row(2, {"lead_name": "A", "phone": "020 7946 0018"}, LEAD_FIELDS, NOW)
	lead_rules(item, "GB")
	assert item.values["phone"] == "+442079460018"


def test_an_update_carries_only_the_cells_given_and_keeps_required_fields():
	item = check_row(3, {"source": "Referral"}, LEAD_FIELDS, NOW, defaults=False)
	assert item.values == {"source": "Referral"}
	item = check_row(3, {"lead_name": ""}, LEAD_FIELDS, NOW, defaults=False)
	assert [r.field for r in item.refusals] == ["lead_name"]


def test_coerce_types():
	assert coerce(Field("n", "Int"), "12") == 12
	assert coerce(Field("n", "Int"), "12.0") == 12
	with pytest.raises(ValueError, match="not a whole number"):
		coerce(Field("n", "Int"), "1.5")
	assert coerce(Field("c", "Check"), "Yes") == 1
	assert coerce(Field("c", "Check"), "0") == 0
	assert coerce(Field("f", "Currency"), "1,250.50") == 1250.5
	assert coerce(Field("d", "Date"), "2026-01-31") == date(2026, 1, 31)
	assert coerce(Field("d", "Datetime"), "2026-01-31 10:15:00") == datetime(2026, 1, 31, 10, 15)
	assert coerce(Field("d", "Datetime"), date(2026, 1, 31)) == datetime(2026, 1, 31)


def test_datetime_default_now():
	fields = {"when": Field("when", "Datetime", default="Now"), "n": Field("n", "Int")}
	assert check_row(2, {}, fields, NOW).values == {"when": NOW, "n": 0}


def test_interaction_needs_a_customer_or_lead_and_no_negative_duration():
	item = Checked(4, {"customer": None, "lead": None, "duration_minutes": -5})
	interaction_rules(item, "US")
	assert [(r.field, r.reason) for r in item.refusals] == [
		("customer", "Customer (customer) or Lead (lead) is required for an interaction"),
		("duration_minutes", "Duration Minutes (duration_minutes) cannot be negative"),
	]


def test_contact_rows_normalised_listed_once_one_primary():
	item = Checked(
		5,
		{
			"first_name": " Ada ",
			"last_name": "Lovelace",
			"emails": [{"email_id": "Ada@Example.com"}, {"email_id": "ada@lab.org", "is_primary": 1}],
			"phones": [{"phone": "+1 415 555 0123"}],
		},
	)
	contact_rules(item, "US")
	assert item.ok
	assert item.values["full_name"] == "Ada Lovelace"
	assert [e["is_primary"] for e in item.values["emails"]] == [0, 1]
	assert item.values["email_id"] == "ada@lab.org"
	assert item.values["phone"] == "+14155550123"

	twice = Checked(6, {"first_name": "B", "emails": [{"email_id": "b@x.com"}, {"email_id": "B@X.com"}]})
	contact_rules(twice, "US")
	assert [(r.field, r.reason) for r in twice.refusals] == [
		("emails.email_id", "emails row 2: B@x.com is listed twice")
	]


def test_file_duplicates_name_the_first_row():
	rows = [(2, ["a@x.com", "+14155550123"]), (3, ["b@x.com"]), (4, ["A@X.com"]), (5, ["+14155550123", None])]
	assert file_duplicates(rows) == {4: ("A@X.com", 2), 5: ("+14155550123", 2)}


def test_route_gives_the_least_loaded_rep_in_file_order():
	reps = {"North": ["r1", "r2"], "South": ["r3"]}
	records = [
		(2, "North", None, True),  # r1 (0) vs r2 (1): r1
		(3, "North", None, True),  # both 1: r1, listed first
		(4, "North", "r2", True),  # owned: r2 now 2
		(5, "North", None, False),  # r1 2, r2 2: r1; not open: no load
		(6, "South", None, True),
		(7, "West", None, True),  # no reps: not routed
	]
	assert route(records, reps, {"r2": 1}) == {2: "r1", 3: "r1", 5: "r1", 6: "r3"}


def test_route_and_file_duplicates_carry_over_to_the_next_part_of_the_file():
	reps = {"North": ["r1", "r2"]}
	load = {"r2": 1}
	whole = [(2, "North", None, True), (3, "North", None, True), (4, "North", None, True)]
	assert route(whole, reps, dict(load)) == {2: "r1", 3: "r1", 4: "r2"}
	assert route(whole[:2], reps, load) == {2: "r1", 3: "r1"}
	assert load == {"r1": 2, "r2": 1}
	assert route(whole[2:], reps, load) == {4: "r2"}
	first: dict = {}
	assert file_duplicates([(2, ["a@x.com"]), (3, ["b@x.com"])], first) == {}
	assert file_duplicates([(4, ["B@X.com"]), (5, ["c@x.com"])], first) == {4: ("B@X.com", 3)}


def test_changed_fields_compare_by_value():
	stored = {
		"status": "New",
		"latest_score": 10,
		"follow_up_date": date(2026, 1, 2),
		"notes": None,
		"amount": 5.0,
	}
	incoming = {
		"status": "New",
		"follow_up_date": date(2026, 1, 2),
		"notes": "",
		"amount": 5,
		"source": "Website",
	}
	assert changed_fields(stored, incoming) == {}
	assert changed_fields(stored, {"status": "Contacted", "amount": 6.0}) == {
		"status": "Contacted",
		"amount": 6.0,
	}


def test_opportunity_rules_refuse_a_negative_value_and_a_probability_outside_0_100():
	rows = [
		Checked(2, {"value": 10.0, "probability_percent": 0.0}),
		Checked(3, {"value": -1.0}),
		Checked(4, {"value": 1.0, "probability_percent": 100.5}),
		Checked(5, {"opportunity_name": "an update that leaves value and probability alone"}),
	]
	for row in rows:
		opportunity_rules(row, "US", new=row.row != 5)
	assert [(r.row, r.field) for row in rows for r in row.refusals] == [
		(3, "value"),
		(4, "probability_percent"),
	]


def test_a_migrated_lead_converted_to_a_named_customer_is_kept_converted():
	item = check_row(3, {"lead_name": "A", "status": "Converted"}, LEAD_FIELDS, NOW)
	item.values["converted_customer"] = "CRM-CUST-00001"  # the engine keeps it for a migration's row
	lead_rules(item, "US")
	assert (item.refusals, item.values["status"]) == ([], "Converted")
