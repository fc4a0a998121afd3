"""Phone numbers as this site reads them: national numbers belong to the system country's region."""

import frappe

from crm_module.domain.contact_points import normalize_phone


def default_region() -> str:
	"""Region used to read national phone numbers: the system country, else US."""
	country = frappe.db.get_single_value("System Settings", "country")
	# read on every save of a record with a phone number: from the document cache, not the database
	code = country and frappe.get_cached_value("Country", country, "code")
	return (code or "us").upper()


def site_phone(number: str | None, country_code: str | None = None) -> str:
	"""`domain.contact_points.normalize_phone` (E.164) with the site's default region."""
	return normalize_phone(number, country_code, default_region())
