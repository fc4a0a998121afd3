app_name = "crm_module"
app_title = "CRM Module"
app_publisher = "crm_module contributors"
app_description = (
	"Customer relationship management: customers, contacts, interactions, pipelines, leads, "
	"scoring, health and segments"
)
app_email = "dev@example.com"
app_license = "mit"

# Frappe is implied; listing it here makes install-app look it up on GitHub
# required_apps = []

export_python_type_annotations = True

# Installation
# ------------
before_install = "crm_module.setup.install.before_install"
after_install = "crm_module.setup.install.after_install"
after_migrate = "crm_module.setup.install.after_migrate"
before_uninstall = "crm_module.setup.install.before_uninstall"

# Email Templates on CRM forms: the same mail fields on every CRM doctype (services/integrations/mail_templates.py)
jinja = {"methods": ["crm_module.services.integrations.mail_templates.crm_mail_fields"]}

# Desk assets
# -----------
app_include_css = "/assets/crm_module/css/crm_module.css"
app_include_js = [
	"/assets/crm_module/js/crm_tags.js",  # list-view "Filter by CRM Tag" (issue 4)
	"/assets/crm_module/js/crm_charts.js",  # readable charts: horizontal bars, money axes (issue 22)
	"/assets/crm_module/js/crm_pages.js",  # what the desk pages share: the Sales Rep picker
	# the email composer opens without "Not permitted" for users who may not read Email Account (issue 20)
	"/assets/crm_module/js/crm_composer.js",
]

# Row-level isolation (see crm_module/access/): one rule table behind every read and write path
# ---------------------------------------------------------------------------------------------
_ISOLATED = (
	"CRM Customer Profile",
	"CRM Sales Lead",
	"CRM Opportunity",
	"CRM Contact",
	"CRM Interaction",
	"CRM Activity Timeline",
	"CRM Customer Health Score",
	"CRM Deal Stage",
	"CRM Lead Score",
	"CRM Internal Note",
	"CRM Tagged Item",
)
_CHILD_TABLES = (
	"CRM Email Address",
	"CRM Phone Number",
	"CRM Opportunity Line",
	"CRM Note Mention",
	"CRM Segment Member",
	"CRM Fit Rule",
)

permission_query_conditions = {
	**{doctype: "crm_module.access.conditions.query_hook" for doctype in _ISOLATED + _CHILD_TABLES},
	"File": "crm_module.access.conditions.file_conditions",
	"Tag Link": "crm_module.access.conditions.tag_link_conditions",
	# targets and forecast snapshots (issue 13): crm_module/access/targets.py
	"CRM Sales Target": "crm_module.access.targets.target_conditions",
	"CRM Forecast Snapshot": "crm_module.access.targets.snapshot_conditions",
	# CRM Managers see the Data Imports of CRM doctypes only (crm_module/services/imports/data_import.py)
	"Data Import": "crm_module.services.imports.data_import.query_conditions",
	"Data Import Log": "crm_module.services.imports.data_import.log_query_conditions",
}

has_permission = {
	**{doctype: "crm_module.access.records.has_permission" for doctype in _ISOLATED},
	"File": "crm_module.access.gates.file_permission",
	"Tag Link": "crm_module.access.gates.tag_link_permission",
	"Notification Log": "crm_module.access.gates.notification_permission",
	"CRM Sales Target": "crm_module.access.targets.target_permission",
	"CRM Forecast Snapshot": "crm_module.access.targets.snapshot_permission",
	"Data Import": "crm_module.services.imports.data_import.has_permission",
	"Data Import Log": "crm_module.services.imports.data_import.has_permission",
}

# Data Import of CRM doctypes runs through the set-based import engine (services/imports/data_import.py)
override_doctype_class = {"Data Import": "crm_module.services.imports.data_import.CRMDataImport"}

# field types of what a request writes into CRM doctypes, before Frappe builds documents from it
before_request = ["crm_module.access.request_guard.check_request"]
# the web-to-lead endpoint: Retry-After on its 429, CORS headers for the allowed origins
after_request = ["crm_module.api.web_lead.after_request"]

override_whitelisted_methods = {
	"frappe.client.get_count": "crm_module.access.overrides.get_count",
	"frappe.client.validate_link": "crm_module.access.overrides.validate_link",
	"frappe.desk.listview.get_group_by_count": "crm_module.access.overrides.get_group_by_count",
	"frappe.desk.search.search_widget": "crm_module.access.overrides.search_widget",
	"frappe.desk.search.search_link": "crm_module.access.overrides.search_link",
	"frappe.desk.doctype.dashboard_chart.dashboard_chart.get": "crm_module.access.overrides.chart_get",
	"frappe.desk.doctype.number_card.number_card.get_result": "crm_module.access.overrides.card_get_result",
	"frappe.desk.doctype.tag.tag.add_tag": "crm_module.access.overrides.add_tag",
	"frappe.desk.doctype.tag.tag.add_tags": "crm_module.access.overrides.add_tags",
	"frappe.desk.doctype.tag.tag.remove_tag": "crm_module.access.overrides.remove_tag",
	"frappe.desk.doctype.tag.tag.get_tagged_docs": "crm_module.access.overrides.get_tagged_docs",
	"frappe.desk.search.get_link_title": "crm_module.access.overrides.get_link_title",
	"frappe.client.get": "crm_module.access.overrides.client_get",
	"frappe.desk.form.document_follow.follow_document": "crm_module.access.overrides.follow_document",
	"frappe.desk.like.toggle_like": "crm_module.access.overrides.toggle_like",
	"frappe.client.rename_doc": "crm_module.access.overrides.rename_doc",
	"frappe.model.rename_doc.update_document_title": "crm_module.access.overrides.update_document_title",
	"frappe.desk.doctype.notification_log.notification_log.mark_as_read": "crm_module.access.overrides.mark_as_read",
	"frappe.desk.doctype.kanban_board.kanban_board.update_order": "crm_module.access.overrides.kanban_update_order",
	"frappe.desk.doctype.kanban_board.kanban_board.update_order_for_single_card": (
		"crm_module.access.overrides.kanban_update_order_for_single_card"
	),
	"frappe.desk.doctype.kanban_board.kanban_board.add_card": "crm_module.access.overrides.kanban_add_card",
	# the email composer's recipients: also the mirrored Contacts of the CRM contacts the user reaches
	"frappe.email.get_contact_list": "crm_module.access.composer.get_contact_list",
}

_WRITE_GUARD = {
	"before_validate": "crm_module.access.write_guard.guard_write",
	# dashboard figures are cached per user until the next write (services/reporting/cache.py) to one of
	# the doctypes they are computed from (_FIGURE_SOURCES)
	"on_change": "crm_module.services.reporting.cache.invalidate",
	"on_trash": "crm_module.services.reporting.cache.invalidate",
}
_FIGURE_SOURCES = ("CRM Customer Profile", "CRM Sales Lead", "CRM Opportunity", "CRM Interaction")
_OWNED = ("CRM Customer Profile", "CRM Sales Lead", "CRM Opportunity")
# the access index (crm_module/access/index.py) follows every change of who reaches a record
_INDEXED = (*_OWNED, "CRM Contact", "CRM Interaction", "CRM Activity Timeline")


_SYNC = {
	"on_update": ["crm_module.services.integrations.erp_sync.on_change"],
	"on_trash": ["crm_module.services.integrations.erp_sync.on_trash"],
}
_SYNC_CHILD = "crm_module.services.integrations.erp_sync.on_child_change"

# what some isolated doctypes do besides the access rules and the figure cache (event -> handlers)
_EXTRA_EVENTS = {
	"CRM Sales Lead": {
		# automation rules (issue 13): changes are queued for the rules listening to them
		"on_change": ["crm_module.services.automation.runs.capture_event"],
		# the follow-up date in the lead owner's calendar (issue 12, services/integrations/calendar_sync.py)
		"on_update": ["crm_module.services.integrations.calendar_sync.sync_lead"],
		"on_trash": ["crm_module.services.integrations.calendar_sync.delete_events"],
	},
	# live two-way sync with ERPNext Customer / Frappe Contact (issue 20, services/integrations/erp_sync.py)
	"CRM Customer Profile": _SYNC,
	"CRM Contact": _SYNC,
	"CRM Opportunity": {
		"on_change": ["crm_module.services.automation.runs.capture_event"],
		# a won opportunity may draft an ERPNext Quotation / Sales Order (services/integrations/erpnext_handoff.py)
		"on_update": ["crm_module.services.integrations.erpnext_handoff.on_opportunity_update"],
	},
}


def _isolated_events(doctype):  # no annotations: tests read this file without builtins
	extra = _EXTRA_EVENTS.get(doctype, {})
	return {
		"before_validate": _WRITE_GUARD["before_validate"],
		"on_change": (["crm_module.access.index.on_record_change"] if doctype in _INDEXED else [])
		+ ([_WRITE_GUARD["on_change"]] if doctype in _FIGURE_SOURCES else [])
		+ extra.get("on_change", []),
		"on_trash": (["crm_module.access.index.on_record_trash"] if doctype in _INDEXED else [])
		+ ([_WRITE_GUARD["on_trash"]] if doctype in _FIGURE_SOURCES else [])
		+ extra.get("on_trash", []),
		# reassigned records: followers who lost access stop receiving their changes
		"on_update": (["crm_module.access.gates.drop_stale_follows"] if doctype in _OWNED else [])
		+ extra.get("on_update", []),
		# a new name shows in other users' figures too (services/reporting/cache.py)
		**({"after_rename": _WRITE_GUARD["on_change"]} if doctype in _FIGURE_SOURCES else {}),
	}


doc_events = {
	**{doctype: _isolated_events(doctype) for doctype in _ISOLATED},
	# child rows saved or deleted on their own (Frappe checks them against the parent doctype only)
	**{
		doctype: {
			"before_validate": "crm_module.access.write_guard.guard_child_row",
			"on_trash": ["crm_module.access.write_guard.guard_child_row"]
			+ ([_SYNC_CHILD] if doctype in ("CRM Email Address", "CRM Phone Number") else []),
			**({"on_update": _SYNC_CHILD} if doctype in ("CRM Email Address", "CRM Phone Number") else {}),
		}
		for doctype in _CHILD_TABLES
	},
	# the other side of the sync: ERPNext's Customer (when installed) and Frappe's Contact
	"Customer": {
		"on_update": "crm_module.services.integrations.erp_sync.on_change",
		"on_trash": "crm_module.services.integrations.erp_sync.on_trash",
	},
	"Contact": {
		"on_update": "crm_module.services.integrations.erp_sync.on_change",
		"on_trash": "crm_module.services.integrations.erp_sync.on_trash",
	},
	"CRM Pipeline Stage": {
		"on_change": "crm_module.services.reporting.cache.invalidate",
		"on_trash": "crm_module.services.reporting.cache.invalidate",
		# one Kanban board per pipeline, its columns in step with the stages (services/sales/boards.py)
		"on_update": "crm_module.services.sales.boards.on_stage_change",
		"after_delete": "crm_module.services.sales.boards.on_stage_change",
		"after_rename": "crm_module.services.sales.boards.on_stage_rename",
	},
	"CRM Pipeline": {
		"on_update": "crm_module.services.sales.boards.on_pipeline_change",
		"after_delete": "crm_module.services.sales.boards.on_pipeline_delete",
		"after_rename": "crm_module.services.sales.boards.on_pipeline_rename",
	},
	"ToDo": {
		"validate": "crm_module.access.gates.gate_todo",
		"on_change": [
			"crm_module.access.index.on_todo_change",
			"crm_module.services.reporting.cache.invalidate_for_todo",
			"crm_module.access.gates.drop_stale_follows",
		],
		"on_trash": [
			"crm_module.access.index.on_todo_change",
			"crm_module.services.reporting.cache.invalidate_for_todo",
		],
		# sales process (issue 4): lead owner follows the lead's assignees
		"on_update": "crm_module.services.assignment.sync_owner_from_todo",
	},
	# field types of every write (CRM Users only read targets; snapshots are written set-based)
	**{
		doctype: {"before_validate": "crm_module.access.write_guard.guard_write"}
		for doctype in ("CRM Sales Target", "CRM Forecast Snapshot")
	},
	"DocShare": {"validate": "crm_module.access.gates.gate_share"},
	"File": {
		"validate": "crm_module.access.gates.gate_file",
		# an email's attachments follow it onto its interaction (services/integrations/email_capture.py)
		"after_insert": "crm_module.services.integrations.email_capture.on_file_insert",
	},
	# Email and calendar (issue 12): emails -> interactions, meetings and follow-ups <-> Events
	"Communication": {
		"after_insert": "crm_module.services.integrations.email_capture.on_communication_insert"
	},
	"Event": {
		"on_update": "crm_module.services.integrations.calendar_sync.on_event_update",
		"on_trash": "crm_module.services.integrations.calendar_sync.on_event_trash",
	},
	"Personal Data Deletion Request": {
		"on_change": "crm_module.services.integrations.gdpr.on_deletion_request_update"
	},
	"Personal Data Download Request": {
		"after_insert": "crm_module.services.integrations.gdpr.on_download_request"
	},
}

# Tests: on a site with ERPNext, its setup is completed first, as ERPNext's own test runs do
before_tests = "crm_module.tests.setup_site.before_tests"

# Scheduled jobs
# --------------
scheduler_events = {
	# one ordered run (refresh -> scoring -> health -> segments -> alerts), see crm_module/services/daily.py
	"daily_long": ["crm_module.services.daily.run_daily"],
	# customers and contacts the ERPNext / Contact sync could not write (services/integrations/erp_sync.py)
	"hourly_long": ["crm_module.services.integrations.erp_sync.retry_issues"],
	# failed email captures are tried again (services/integrations/email_capture.py)
	"hourly": ["crm_module.services.integrations.email_capture.retry_failed"],
}

# GDPR: Frappe's Personal Data Deletion / Download Requests reach CRM data through the doc_events
# above (crm_module/services/integrations/gdpr.py), not through `user_data_fields`: erasure needs the records'
# original values to find everything that points at them.
