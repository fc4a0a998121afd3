"""Install, migrate and uninstall hooks. Every step is idempotent: run it twice, get the same site."""

import frappe
from frappe import _

from crm_module import constants
from crm_module.utils import default_currency

ROLES = (
	(constants.ROLE_MANAGER, _("Manages CRM pipelines, settings and every rep's records")),
	(constants.ROLE_USER, _("Sales rep: works their own customers, leads and opportunities")),
)

# (stage name, order, probability %, expected cycle days, final, outcome)
DEFAULT_STAGES = (
	("Prospecting", 1, 10, 14, 0, ""),
	("Qualification", 2, 25, 14, 0, ""),
	("Proposal", 3, 50, 21, 0, ""),
	("Negotiation", 4, 75, 14, 0, ""),
	("Closed Won", 5, 100, 0, 1, "Won"),
	("Closed Lost", 6, 0, 0, 1, "Lost"),
)

KANBAN_BOARD = "CRM Opportunities"


def before_install():
	make_roles()


def after_install():
	ensure_setup_records()


def after_migrate():
	ensure_setup_records()


def ensure_setup_records():
	"""Roles, currency, the default pipeline and Kanban board, the assignment index: idempotent, run on
	install and on every migrate (not the seed specification; demo data is `crm_module.setup.demo`)."""
	make_roles()
	ensure_currency()
	make_default_pipeline()
	make_kanban_board()
	add_assignment_index()
	frappe.db.commit()  # nosemgrep: after_install / after_migrate run outside a request


def make_roles():
	for role_name, description in ROLES:
		if frappe.db.exists("Role", role_name):
			continue
		frappe.get_doc(
			{"doctype": "Role", "role_name": role_name, "desk_access": 1, "description": description}
		).insert(ignore_permissions=True)


def ensure_currency():
	"""Opportunities carry a currency; make sure the site default exists even before the setup wizard."""
	currency = default_currency()
	if not frappe.db.exists("Currency", currency):
		frappe.get_doc(
			{
				"doctype": "Currency",
				"currency_name": currency,
				"symbol": "$" if currency == "USD" else currency,
				"enabled": 1,
			}
		).insert(ignore_permissions=True)
	elif not frappe.db.get_value("Currency", currency, "enabled"):
		frappe.db.set_value("Currency", currency, "enabled", 1)


def make_default_pipeline():
	if not frappe.db.exists(constants.PIPELINE, constants.DEFAULT_PIPELINE):
		frappe.get_doc(
			{
				"doctype": constants.PIPELINE,
				"pipeline_name": constants.DEFAULT_PIPELINE,
				"is_default": 0 if frappe.db.exists(constants.PIPELINE, {"is_default": 1}) else 1,
				"description": _("New business pipeline created on install"),
			}
		).insert(ignore_permissions=True)
	for stage_name, order, probability, cycle_days, is_final, outcome in DEFAULT_STAGES:
		if frappe.db.exists(
			constants.PIPELINE_STAGE, {"pipeline": constants.DEFAULT_PIPELINE, "stage_name": stage_name}
		):
			continue
		frappe.get_doc(
			{
				"doctype": constants.PIPELINE_STAGE,
				"pipeline": constants.DEFAULT_PIPELINE,
				"stage_name": stage_name,
				"stage_order": order,
				"probability": probability,
				"expected_cycle_days": cycle_days,
				"is_final": is_final,
				"outcome": outcome,
			}
		).insert(ignore_permissions=True)


def make_kanban_board():
	"""A Kanban board of opportunities by stage (columns follow the default pipeline's stages)."""
	if frappe.db.exists("Kanban Board", KANBAN_BOARD):
		return
	stages = frappe.get_all(
		constants.PIPELINE_STAGE,
		filters={"pipeline": constants.DEFAULT_PIPELINE},
		pluck="name",
		order_by="stage_order asc",
	)
	board = frappe.get_doc(
		{
			"doctype": "Kanban Board",
			"kanban_board_name": KANBAN_BOARD,
			"reference_doctype": constants.OPPORTUNITY,
			"field_name": "stage",
			"private": 0,
			"show_labels": 1,
			"fields": '["customer_name", "value", "probability_percent", "expected_close_date"]',
			"columns": [{"column_name": stage, "status": "Active", "indicator": "Gray"} for stage in stages],
		}
	)
	board.insert(ignore_permissions=True)


# Row rules read open assignments by user and doctype (crm_module/access/conditions.py).
ASSIGNMENT_INDEX = "crm_assignment_index"


def add_assignment_index():
	frappe.db.add_index("ToDo", ["allocated_to", "reference_type", "status"], ASSIGNMENT_INDEX)


def before_uninstall():
	"""Remove what install created outside the module's own doctypes."""
	if frappe.db.has_index("tabToDo", ASSIGNMENT_INDEX):
		frappe.db.sql_ddl(f"alter table `tabToDo` drop index `{ASSIGNMENT_INDEX}`")
	if frappe.db.exists("Kanban Board", KANBAN_BOARD):
		frappe.delete_doc("Kanban Board", KANBAN_BOARD, ignore_permissions=True, force=True)
	for role_name, _description in ROLES:
		if frappe.db.exists("Role", role_name):
			frappe.db.delete("Has Role", {"role": role_name})
			frappe.delete_doc("Role", role_name, ignore_permissions=True, force=True)
