"""Access now follows the owner field and open assignments, not the creator nor `_assign` nor shares.

* Records whose owner field is empty get their creator as owner, so nobody loses what they made.
* Shares of CRM records made by someone other than a manager are removed: CRM Users can no longer
  share, and shares written through the old self-assignment hole must not keep granting access.
"""

import frappe

from crm_module import constants

OWNER_FIELDS = {
	constants.CUSTOMER: "account_owner",
	constants.LEAD: "lead_owner",
	constants.OPPORTUNITY: "opportunity_owner",
}


def execute():
	for doctype, fieldname in OWNER_FIELDS.items():
		table = frappe.qb.DocType(doctype)
		(
			frappe.qb.update(table)
			.set(table[fieldname], table.owner)
			.where(table[fieldname].isnull() | (table[fieldname] == ""))
		).run()
	managers = set(
		frappe.get_all(
			"Has Role",
			filters={"role": ("in", sorted(constants.MANAGER_ROLES)), "parenttype": "User"},
			pluck="parent",
		)
	) | {"Administrator"}
	shares = frappe.get_all(
		"DocShare",
		filters={
			"share_doctype": ("in", [*OWNER_FIELDS, constants.CONTACT, constants.INTERACTION, constants.NOTE])
		},
		fields=["name", "owner"],
	)
	for share in shares:
		if share.owner not in managers:
			frappe.delete_doc("DocShare", share.name, ignore_permissions=True, force=True)
