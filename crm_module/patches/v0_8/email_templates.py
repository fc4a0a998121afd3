"""The app's Email Templates (issue 21) for sites installed before them; new sites get them on install."""

from crm_module.services.integrations.mail_templates import ensure_templates


def execute():
	ensure_templates()
