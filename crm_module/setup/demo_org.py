"""The demo's sales organisation: a team the manager leads, a territory tree the demo customers and leads
are spread over (with their reps), and this month's and this quarter's target for every rep, so the
dashboard's Targets section, the Target Attainment report and the territory filters have something to
show. Everything is named "Demo …" and removed with the rest of the demo."""

import frappe
from frappe.utils import getdate, nowdate

from crm_module import constants
from crm_module.domain.targets import period_bounds
from crm_module.services import bulk
from crm_module.services.sales.teams import clear_cache

TEAM = "Demo Sales Team"
ROOT = "Demo World"
TERRITORIES = ("Demo EMEA", "Demo Americas", "Demo APAC")  # one rep each, in REPS order
MONTHLY_TARGET = 60000
QUARTERLY_TARGET = 180000


def write_organisation(manager: str, reps: tuple[str, ...], like: str) -> None:
	remove_organisation(reps)
	frappe.get_doc(
		{
			"doctype": constants.SALES_TEAM,
			"team_name": TEAM,
			"team_lead": manager,
			"members": [{"user": rep} for rep in reps],
		}
	).insert(ignore_permissions=True)
	frappe.get_doc({"doctype": constants.TERRITORY, "territory_name": ROOT, "is_group": 1}).insert(
		ignore_permissions=True
	)
	for name, rep in zip(TERRITORIES, reps, strict=False):
		frappe.get_doc(
			{
				"doctype": constants.TERRITORY,
				"territory_name": name,
				"parent_crm_sales_territory": ROOT,
				"reps": [{"user": rep}],
			}
		).insert(ignore_permissions=True)
	# each record in its owner's territory (a rep covers one region in the demo)
	regions = dict(zip(reps, TERRITORIES, strict=False))
	for doctype, owner_field in ((constants.CUSTOMER, "account_owner"), (constants.LEAD, "lead_owner")):
		rows = frappe.get_all(doctype, filters={"name": ("like", like)}, fields=["name", owner_field])
		bulk.update_values(
			doctype,
			{row.name: {"territory": regions.get(row[owner_field], ROOT)} for row in rows},
		)
	today = getdate(nowdate())
	for rep in reps:
		for period_type, amount in (("Month", MONTHLY_TARGET), ("Quarter", QUARTERLY_TARGET)):
			frappe.get_doc(
				{
					"doctype": constants.SALES_TARGET,
					"target_for": "Rep",
					"user": rep,
					"period_type": period_type,
					"period_start": period_bounds(period_type, today)[0],
					"target_amount": amount,
				}
			).insert(ignore_permissions=True)
	clear_cache()


def remove_organisation(reps: tuple[str, ...] = ()) -> None:
	if reps:
		frappe.db.delete(constants.SALES_TARGET, {"user": ("in", list(reps))})
	frappe.db.delete(constants.SALES_TARGET, {"territory": ("in", [ROOT, *TERRITORIES])})
	frappe.db.delete(constants.SALES_TARGET, {"sales_team": TEAM})
	for doctype in (constants.CUSTOMER, constants.LEAD):
		frappe.db.set_value(doctype, {"territory": ("in", [ROOT, *TERRITORIES])}, "territory", None)
	if frappe.db.exists(constants.SALES_TEAM, TEAM):
		frappe.delete_doc(constants.SALES_TEAM, TEAM, force=True, ignore_permissions=True)
	for name in (*TERRITORIES, ROOT):  # leaves first
		if frappe.db.exists(constants.TERRITORY, name):
			frappe.delete_doc(constants.TERRITORY, name, force=True, ignore_permissions=True)
	clear_cache()
