"""What the controllers' `validate` checks and derives, on an imported row's values (`import_rows.
Checked`): CRM Sales Lead, CRM Customer Profile, CRM Interaction, CRM Contact, CRM Opportunity, CRM
Internal Note. `RULES` maps a doctype to its function `(checked, region, new)`; `region` reads national
phone numbers."""

from crm_module.domain.contact_points import normalize_email, normalize_phone, single_primary
from crm_module.domain.duplicates import company_key
from crm_module.domain.import_rows import Checked, empty, guarded


def email_and_phone(checked: Checked, region: str, email_field="email_id", phone_field="phone") -> None:
	values = checked.values
	if not empty(values.get(email_field)):
		values[email_field] = guarded(checked, email_field, normalize_email, values[email_field])
	if phone_field and not empty(values.get(phone_field)):
		values[phone_field] = guarded(
			checked, phone_field, normalize_phone, values[phone_field], None, region
		)


def lead_rules(checked: Checked, region: str, new: bool = True) -> None:
	"""CRM Sales Lead.validate: trimmed name, company key, email and phone normalised; Converted only
	through conversion (a migrated lead brings the customer it was converted to)."""
	values = checked.values
	if "lead_name" in values:
		values["lead_name"] = (values["lead_name"] or "").strip()
	if "company_name" in values or new:
		values["company_key"] = company_key(values.get("company_name"))
	email_and_phone(checked, region)
	if values.get("status") == "Converted" and empty(values.get("converted_customer")):
		checked.refuse(
			"status",
			"Status (status) Converted is set by converting the lead (Convert to Customer), not by hand",
		)


def customer_rules(checked: Checked, region: str, new: bool = True) -> None:
	"""CRM Customer Profile.validate."""
	values = checked.values
	if "company_name" in values:
		values["company_name"] = (values["company_name"] or "").strip()
	if "company_name" in values or new:
		values["company_key"] = company_key(values.get("company_name"))
	for fieldname, label, low, high in (
		("satisfaction_rating", "Satisfaction Rating", 0, 5),
		("annual_revenue", "Annual Revenue", 0, float("inf")),
	):
		value = values.get(fieldname)
		if value not in (None, "") and not (low <= float(value) <= high):
			checked.refuse(fieldname, f"{label} ({fieldname}) must be between {low} and {high}, got {value}")
	email_and_phone(checked, region)


def interaction_rules(checked: Checked, region: str, new: bool = True) -> None:
	"""CRM Interaction.validate (the contact's and opportunity's customer are checked with the
	database by the engine)."""
	values = checked.values
	if new and empty(values.get("customer")) and empty(values.get("lead")):
		checked.refuse("customer", "Customer (customer) or Lead (lead) is required for an interaction")
	if (values.get("duration_minutes") or 0) < 0:
		checked.refuse("duration_minutes", "Duration Minutes (duration_minutes) cannot be negative")


def contact_rules(checked: Checked, region: str, new: bool = True) -> None:
	"""CRM Contact.validate: full name, email and phone rows normalised, listed once, one primary."""
	values = checked.values
	if "first_name" in values or "last_name" in values:
		values["full_name"] = " ".join(
			part.strip()
			for part in (values.get("first_name"), values.get("last_name"))
			if part and part.strip()
		)
	for table, column, label in (
		("emails", "email_id", "email address"),
		("phones", "phone", "phone number"),
	):
		rows = values.get(table)
		if rows is None:
			continue
		seen = set()
		for i, child in enumerate(rows, start=1):
			if column == "email_id":
				value = guarded(checked, f"{table}.{column}", normalize_email, child.get(column))
			else:
				value = guarded(
					checked,
					f"{table}.{column}",
					normalize_phone,
					child.get(column),
					child.get("country_code"),
					region,
				)
			if value is None:
				continue
			child[column] = value
			compared = value.lower() if column == "email_id" else value
			if compared in seen:
				checked.refuse(f"{table}.{column}", f"{table} row {i}: {value} is listed twice")
			seen.add(compared)
		flags = guarded(checked, f"{table}.is_primary", single_primary, rows, "is_primary", label)
		if flags is None:
			continue
		for child, flag in zip(rows, flags, strict=True):
			child["is_primary"] = flag["is_primary"]
		values[column] = next((c.get(column) for c in rows if c["is_primary"]), None)


def opportunity_rules(checked: Checked, region: str, new: bool = True) -> None:
	"""CRM Opportunity.validate, what needs no database (the stage and pipeline are planned by the engine
	with them): no negative value, a probability within 0-100."""
	values = checked.values
	value = values.get("value")
	if value is not None and value < 0:
		checked.refuse("value", f"Value (value) must not be negative, got {value}")
	probability = values.get("probability_percent")
	if probability is not None and not 0 <= probability <= 100:
		checked.refuse(
			"probability_percent",
			f"Probability (probability_percent) must be between 0 and 100, got {probability}",
		)


def note_rules(checked: Checked, region: str, new: bool = True) -> None:
	"""CRM Internal Note.validate needs the database for all it checks (the engine does it)."""


RULES = {
	"CRM Sales Lead": lead_rules,
	"CRM Customer Profile": customer_rules,
	"CRM Interaction": interaction_rules,
	"CRM Contact": contact_rules,
	"CRM Opportunity": opportunity_rules,
	"CRM Internal Note": note_rules,
}
