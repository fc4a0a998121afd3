"""Install, migrate and uninstall hooks. Every step is idempotent: run it twice, get the same site."""

import frappe
from frappe import _

from crm_module import constants
from crm_module.services.sales import boards
from crm_module.setup import override_check

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

KANBAN_BOARD = boards.DEFAULT_BOARD


def before_install():
	make_roles()


def after_install():
	ensure_setup_records()
	# customers and contacts sync with ERPNext / Frappe Contact unless turned off (issue 20)
	from crm_module.services.integrations.erp_sync import ensure_default

	ensure_default()
	# the app's Email Templates, once: edits and deletions survive migrations (issue 21)
	from crm_module.services.integrations.mail_templates import ensure_templates

	ensure_templates()
	frappe.db.commit()  # nosemgrep: after_install runs outside a request


def after_migrate():
	ensure_setup_records()
	# another app installed later may take over this app's overrides (and reopen what they close)
	override_check.check_overrides()
	frappe.db.commit()  # nosemgrep: the Error Log entry of the check; after_migrate runs outside a request


def ensure_setup_records():
	"""Roles, currency, the default pipeline and Kanban board, the assignment index: idempotent, run on
	install and on every migrate (not the seed specification; demo data is `crm_module.setup.demo`)."""
	make_roles()
	ensure_currency()
	make_default_pipeline()
	make_kanban_board()
	add_assignment_index()
	# CRM Managers may use Data Import for CRM doctypes (crm_module/services/imports/data_import.py)
	from crm_module.services.imports.data_import import ensure_permissions

	ensure_permissions()
	frappe.db.commit()  # nosemgrep: after_install / after_migrate run outside a request


def make_roles():
	for role_name, description in ROLES:
		if frappe.db.exists("Role", role_name):
			continue
		frappe.get_doc(
			{"doctype": "Role", "role_name": role_name, "desk_access": 1, "description": description}
		).insert(ignore_permissions=True)


FALLBACK_CURRENCY = "USD"


def ensure_currency() -> str:
	"""Give the site one default currency and make sure it exists and is enabled; returns it.

	Frappe's desk formats every Currency figure it cannot tie to a record (number cards, dashboard
	charts, Kanban cards, report totals) in `frappe.boot.sysdefaults.currency`, the global default
	"currency". A site that never ran a setup wizard with a currency has none, and the desk then picks
	the first enabled Currency it loaded (AED, "د.إ"). So: keep a default that is already set, else take
	ERPNext's company currency when ERPNext is there, else USD; set System Settings' currency too where
	the framework has that field and it is empty."""
	currency = frappe.db.get_default("currency") or erpnext_company_currency() or FALLBACK_CURRENCY
	if not frappe.db.exists("Currency", currency):
		frappe.get_doc(
			{
				"doctype": "Currency",
				"currency_name": currency,
				"symbol": "$" if currency == FALLBACK_CURRENCY else currency,
				"enabled": 1,
			}
		).insert(ignore_permissions=True)
	elif not frappe.db.get_value("Currency", currency, "enabled"):
		frappe.db.set_value("Currency", currency, "enabled", 1)
	if frappe.db.get_default("currency") != currency:
		frappe.db.set_default("currency", currency)
	if frappe.get_meta("System Settings").has_field("currency") and not frappe.db.get_single_value(
		"System Settings", "currency"
	):
		frappe.db.set_single_value("System Settings", "currency", currency)
	return currency


def erpnext_company_currency() -> str | None:
	"""The default currency of ERPNext's default company (else of its first company), or None without
	ERPNext or companies."""
	if not frappe.db.table_exists("Company"):
		return None
	company = frappe.db.get_default("company")
	if not company and frappe.db.exists("DocType", "Global Defaults"):
		company = frappe.db.get_single_value("Global Defaults", "default_company")
	if company:
		currency = frappe.db.get_value("Company", company, "default_currency")
		if currency:
			return currency
	rows = frappe.get_all(
		"Company",
		filters={"default_currency": ("is", "set")},
		fields=["default_currency"],
		order_by="creation asc",
		limit=1,
	)
	return rows[0].default_currency if rows else None


def make_default_pipeline():
	make_pipeline(
		constants.DEFAULT_PIPELINE,
		DEFAULT_STAGES,
		_("New business pipeline created on install"),
		is_default=not frappe.db.exists(constants.PIPELINE, {"is_default": 1}),
	)


def make_pipeline(name: str, stages, description: str, is_default: bool = False) -> None:
	"""A pipeline and its stages ``(name, order, probability, cycle days, is final, outcome)``, adding only
	what is missing (install, migrate and the demo all call it)."""
	if not frappe.db.exists(constants.PIPELINE, name):
		frappe.get_doc(
			{
				"doctype": constants.PIPELINE,
				"pipeline_name": name,
				"is_default": 1 if is_default else 0,
				"description": description,
			}
		).insert(ignore_permissions=True)
	for stage_name, order, probability, cycle_days, is_final, outcome in stages:
		if frappe.db.exists(constants.PIPELINE_STAGE, {"pipeline": name, "stage_name": stage_name}):
			continue
		frappe.get_doc(
			{
				"doctype": constants.PIPELINE_STAGE,
				"pipeline": name,
				"stage_name": stage_name,
				"stage_order": order,
				"probability": probability,
				"expected_cycle_days": cycle_days,
				"is_final": is_final,
				"outcome": outcome,
			}
		).insert(ignore_permissions=True)


def make_kanban_board():
	"""One Kanban board of opportunities per pipeline ("CRM Opportunities" for the install pipeline),
	columns in step with its stages: `crm_module.services.sales.boards`, which the pipeline and stage doc events
	also call."""
	boards.sync_all_boards()


# Row rules read open assignments by user and doctype (crm_module/access/conditions.py).
ASSIGNMENT_INDEX = "crm_assignment_index"


def add_assignment_index():
	frappe.db.add_index("ToDo", ["allocated_to", "reference_type", "status"], ASSIGNMENT_INDEX)


def before_uninstall():
	"""Remove what install created outside the module's own doctypes."""
	if frappe.db.has_index("tabToDo", ASSIGNMENT_INDEX):
		frappe.db.sql_ddl(f"alter table `tabToDo` drop index `{ASSIGNMENT_INDEX}`")
	boards.delete_all_boards()
	for role_name, _description in ROLES:
		if frappe.db.exists("Role", role_name):
			frappe.db.delete("Has Role", {"role": role_name})
			frappe.delete_doc("Role", role_name, ignore_permissions=True, force=True)
