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

# Desk assets
# -----------
app_include_css = "/assets/crm_module/css/crm_module.css"
app_include_js = ["/assets/crm_module/js/crm_tags.js"]  # list-view "Filter by CRM Tag" (issue 4)

# Row-level isolation (see crm_module/permissions.py)
# ---------------------------------------------------
permission_query_conditions = {
	"CRM Customer Profile": "crm_module.permissions.query_customer",
	"CRM Sales Lead": "crm_module.permissions.query_lead",
	"CRM Opportunity": "crm_module.permissions.query_opportunity",
	"CRM Contact": "crm_module.permissions.query_contact",
	"CRM Interaction": "crm_module.permissions.query_interaction",
	"CRM Activity Timeline": "crm_module.permissions.query_timeline",
	"CRM Customer Health Score": "crm_module.permissions.query_health_score",
	"CRM Deal Stage": "crm_module.permissions.query_deal_stage",
	"CRM Lead Score": "crm_module.permissions.query_lead_score",
	"CRM Internal Note": "crm_module.permissions.query_note",
	"CRM Tagged Item": "crm_module.permissions.query_tagged_item",
}

has_permission = {doctype: "crm_module.permissions.has_permission" for doctype in permission_query_conditions}

# Sales process (issue 4): lead owner follows the lead's assignees
# -----------------------------------------------------------------
doc_events = {
	"ToDo": {
		"on_update": "crm_module.services.assignment.sync_owner_from_todo",
	},
}

# Scheduled jobs
# --------------
scheduler_events = {
	"daily": [
		"crm_module.services.opportunity_jobs.refresh_open_opportunities",
		"crm_module.services.followups.create_follow_up_todos",
		# scoring, health and segments (issue 5): health first so segments see today's health
		"crm_module.services.scoring.score_all_leads",
		"crm_module.services.health.compute_all_health_scores",
		"crm_module.services.segments.evaluate_all_segments",
	],
}

# GDPR: what Frappe's Personal Data Download / Deletion Request finds and redacts for a person's email
# -----------------------------------------------------------------------------------------------------
user_data_fields = [
	{
		"doctype": "CRM Sales Lead",
		"filter_by": "email_id",
		"redact_fields": ["lead_name", "phone", "job_title", "notes"],
		"partial": 1,
	},
	{
		"doctype": "CRM Contact",
		"filter_by": "email_id",
		"redact_fields": ["first_name", "last_name", "full_name", "phone", "job_title", "notes"],
		"partial": 1,
	},
	{"doctype": "CRM Email Address", "filter_by": "email_id", "redact_fields": ["email_id"], "partial": 1},
]
