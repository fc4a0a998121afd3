"""The access index's record index also holds the user (`record_user_index`: record type, record name,
user), so "who reaches this record" and the row rule's semi-join from a record (a team lead's thousands of
deals) read the index alone, without a row lookup per entry; it replaces `record_index`, its prefix."""

import frappe

from crm_module import constants
from crm_module.crm_module.doctype.crm_record_access.crm_record_access import on_doctype_update


def execute():
	on_doctype_update()
	table = f"tab{constants.RECORD_ACCESS}"
	if frappe.db.sql(f"show index from `{table}` where Key_name = 'record_index'"):
		frappe.db.sql_ddl(f"alter table `{table}` drop index `record_index`")
