"""Fill `company_key` (the comparable company name the duplicate candidates group on) of the customers
and leads saved before it existed, set-based in chunks."""

import frappe

from crm_module import constants
from crm_module.domain.duplicates import company_key
from crm_module.services.bulk import update_values

CHUNK = 5000


def execute():
	for doctype in (constants.CUSTOMER, constants.LEAD):
		frappe.reload_doc("crm_module", "doctype", frappe.scrub(doctype))
		start = ""
		while True:
			rows = frappe.get_all(
				doctype,
				filters={"name": (">", start)},
				fields=["name", "company_name", "company_key"],
				order_by="name asc",
				limit_page_length=CHUNK,
			)
			if not rows:
				break
			update_values(
				doctype,
				{
					row.name: {"company_key": company_key(row.company_name)}
					for row in rows
					if row.company_key != company_key(row.company_name)
				},
			)
			start = rows[-1].name
