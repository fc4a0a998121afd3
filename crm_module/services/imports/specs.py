"""What the import engine needs to know per doctype: its naming series, key columns, owner field, child
tables and the fields a file may set (read from the DocType: type, options, required, default)."""

from dataclasses import dataclass, field

import frappe

from crm_module import constants
from crm_module.domain.import_rows import Field

TABLES = {"Table", "Table MultiSelect"}
LAYOUT = {"Section Break", "Column Break", "Tab Break", "HTML", "Button", "Heading", "Fold", "Image"}


@dataclass(frozen=True)
class Spec:
	doctype: str
	prefix: str  # naming series of `autoname` ("CRM-LEAD-.#####" -> "CRM-LEAD-", 5 digits)
	digits: int = 5
	email_column: str | None = "email_id"  # key "email"
	owner_field: str | None = None  # an enabled user with a CRM role
	routed: bool = False  # territory routing of new records without an owner (`sales.teams.ROUTED`)
	dedupe: bool = False  # the duplicate guard (emails and phones against leads and contacts)
	children: dict[str, str] = field(default_factory=dict)  # table field -> child doctype
	default_key: str = "email"


SPECS = {
	constants.LEAD: Spec(constants.LEAD, "CRM-LEAD-", owner_field="lead_owner", routed=True, dedupe=True),
	constants.CUSTOMER: Spec(constants.CUSTOMER, "CRM-CUST-", owner_field="account_owner", routed=True),
	constants.CONTACT: Spec(
		constants.CONTACT,
		"CRM-CON-",
		dedupe=True,
		children={"emails": constants.EMAIL_ADDRESS, "phones": constants.PHONE_NUMBER},
	),
	constants.INTERACTION: Spec(constants.INTERACTION, "CRM-INT-", email_column=None, default_key="name"),
	constants.OPPORTUNITY: Spec(
		constants.OPPORTUNITY,
		"CRM-OPP-",
		email_column=None,
		owner_field="opportunity_owner",
		default_key="name",
	),
	constants.NOTE: Spec(
		constants.NOTE,
		"CRM-NOTE-",
		email_column=None,
		children={"mentions": "CRM Note Mention"},
		default_key="name",
	),
}
ORDER = (
	constants.LEAD,
	constants.INTERACTION,
	constants.CUSTOMER,
	constants.CONTACT,
	constants.OPPORTUNITY,
	constants.NOTE,
)


def spec_for(doctype: str) -> Spec:
	if doctype not in SPECS:
		frappe.throw(
			frappe._("The import engine takes {0}, not {1}").format(", ".join(ORDER), doctype),
			frappe.ValidationError,
		)
	return SPECS[doctype]


def as_field(df) -> Field:
	return Field(
		fieldname=df.fieldname,
		fieldtype=df.fieldtype,
		label=df.label or "",
		options=df.options or "",
		reqd=bool(df.reqd),
		default=df.default,
		length=int(df.length or 0),
	)


def writable_fields(doctype: str) -> dict[str, Field]:
	"""Fields a file may set: every value field that is not read-only and not a table."""
	return {
		df.fieldname: as_field(df)
		for df in frappe.get_meta(doctype).fields
		if df.fieldtype not in LAYOUT and df.fieldtype not in TABLES and not df.read_only
	}


def link_targets(doctype: str) -> dict[str, str]:
	"""{fieldname: target doctype} of the writable Link fields."""
	return {
		df.fieldname: df.options
		for df in frappe.get_meta(doctype).fields
		if df.fieldtype == "Link" and not df.read_only and df.options
	}


def table_columns(doctype: str) -> list[str]:
	"""Every stored column of the doctype (meta fields with a column, not the standard ones)."""
	from frappe.model import no_value_fields

	return [df.fieldname for df in frappe.get_meta(doctype).fields if df.fieldtype not in no_value_fields]
