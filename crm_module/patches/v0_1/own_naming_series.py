"""Give every numbered CRM doctype a counter of its own.

Early builds named records with "format:CRM-XXX-{#####}", which counts on one unnamed series shared by
all of them. Names now use "CRM-XXX-.#####" (series key "CRM-XXX-"); start each key after the highest
number already used so new names never collide with existing ones.
"""

import frappe
from frappe.query_builder.functions import Max


def numbered_doctypes() -> dict[str, str]:
	"""{doctype: series key} of the module's doctypes named "CRM-XXX-.#####"."""
	rows = frappe.get_all(
		"DocType",
		filters={"module": "CRM Module", "autoname": ("like", "CRM-%.#%")},
		fields=["name", "autoname"],
	)
	return {row.name: row.autoname.split(".")[0] for row in rows}


def execute():
	series = frappe.qb.DocType("Series")
	for doctype, prefix in numbered_doctypes().items():
		table = frappe.qb.DocType(doctype)
		names = frappe.qb.from_(table).select(table.name).where(table.name.like(f"{prefix}%")).run(pluck=True)
		highest = max((int(n[len(prefix) :]) for n in names if n[len(prefix) :].isdigit()), default=0)
		current = frappe.qb.from_(series).select(Max(series.current)).where(series.name == prefix).run()
		if current and current[0][0] is not None:
			if current[0][0] < highest:
				frappe.qb.update(series).set(series.current, highest).where(series.name == prefix).run()
		elif highest:
			frappe.qb.into(series).insert(prefix, highest).run()
