"""Turn the ERPNext / Contact sync on for sites that existed before it (issue 20); a manager may turn it
off in CRM Module Settings. Existing records are paired by the backfill when it is switched on again, or
by `bench --site SITE execute crm_module.services.integrations.erp_backfill.backfill_job`."""

import frappe

from crm_module.services.integrations.erp_sync import ensure_default


def execute():
	frappe.reload_doc("crm_module", "doctype", "crm_module_settings")
	ensure_default()
