"""Every money figure the app ships names where its currency comes from (static, no Frappe needed).

The desk formats a Currency value in the currency named by the field's `options` (a Currency link of
the same record); where it has no record at hand (number cards, dashboard chart tooltips) it falls back
to the site's default currency, which install sets (crm_module/setup/install.py `ensure_currency`).
"""

import pytest

from tests.app_meta import desk_records, doctypes

CURRENCY_FIELDS = [
	(doctype, field)
	for doctype, meta in doctypes().items()
	for field in meta.get("fields", [])
	if field.get("fieldtype") == "Currency"
]


def field_of(doctype: str, fieldname: str | None) -> dict | None:
	return next((f for f in doctypes()[doctype]["fields"] if f["fieldname"] == fieldname), None)


@pytest.mark.parametrize(("doctype", "field"), CURRENCY_FIELDS, ids=lambda v: v if isinstance(v, str) else "")
def test_currency_fields_name_a_currency_link_of_their_record(doctype, field):
	options = field.get("options")
	assert options, f"{doctype}.{field['fieldname']} has no currency (options)"
	link = field_of(doctype, options)
	assert link and link["fieldtype"] == "Link" and link["options"] == "Currency", (
		f"{doctype}.{field['fieldname']}: options {options!r} is not a Currency link of {doctype}"
	)


@pytest.mark.parametrize("card", sorted(desk_records("Number Card")))
def test_money_number_cards_sum_a_currency_field(card):
	record = desk_records("Number Card")[card]
	if record.get("function") in (None, "Count"):
		return
	field = field_of(record["document_type"], record.get("aggregate_function_based_on"))
	assert field, f"{card} aggregates an unknown field"
	if "value" in field["fieldname"] or "amount" in field["fieldname"]:
		assert field["fieldtype"] == "Currency", f"{card} sums money that is not a Currency field"


@pytest.mark.parametrize("chart", sorted(desk_records("Dashboard Chart")))
def test_money_charts_format_their_values_as_currency(chart):
	"""A chart summing money names the Currency field as `value_based_on`: the desk formats its
	tooltips by that field (Group By charts would otherwise show bare numbers)."""
	record = desk_records("Dashboard Chart")[chart]
	summed = (
		record.get("aggregate_function_based_on")
		if record.get("group_by_type") in ("Sum", "Average")
		else None
	)
	summed = summed or (
		record.get("value_based_on") if record.get("chart_type") in ("Sum", "Average") else None
	)
	if not summed:
		return
	field = field_of(record["document_type"], summed)
	if field and field["fieldtype"] == "Currency":
		assert record.get("value_based_on") == summed, f"{chart}: set value_based_on to {summed!r}"
