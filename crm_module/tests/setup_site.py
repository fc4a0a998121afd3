"""`before_tests` of this app (`bench run-tests --app crm_module` runs only the tested app's hook).

On a site with ERPNext, complete ERPNext's setup the way ERPNext's own test runs do (a company, a fiscal
year and the setup wizard's fixtures such as lead sources and warehouse types), so the migration and
hand-off tests meet a set-up ERPNext, as on any site that uses it. Nothing happens without ERPNext, and
ERPNext skips it when a company exists."""

import frappe


def before_tests() -> None:
	if "erpnext" in frappe.get_installed_apps():
		from erpnext.setup.utils import before_tests as erpnext_before_tests

		erpnext_before_tests()
