"""`/crm-lead`: the public web-to-lead page (no login). It renders the fields the CRM Manager put on the
form (CRM Web Lead Settings), the consent checkbox and a hidden honeypot, and posts them with `fetch` to
`crm_module.api.web_lead.submit`; UTM tags from the page's own address travel along."""

import frappe
from frappe import _

from crm_module.services import web_lead

no_cache = 1
sitemap = 0


def get_context(context):
	config = web_lead.form()
	context.no_cache = 1
	context.show_sidebar = False
	context.title = config["title"]
	context.form = config
	context.honeypot = web_lead.HONEYPOT
	context.submit_method = "crm_module.api.web_lead.submit"
	context.utm_fields = web_lead.UTM_FIELDS
	context.disabled_message = _("This form is not available.")
	context.csrf_token = frappe.sessions.get_csrf_token() if frappe.session.user != "Guest" else ""
	return context
