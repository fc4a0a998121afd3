"""Bench commands of the app (Frappe imports `<app>.commands` and adds its `commands` list).

bench --site SITE crm-migrate erpnext|frappe-crm [--dry-run]
"""

import click
from frappe.commands import get_site, pass_context


@click.command("crm-migrate")
@click.argument("source", type=click.Choice(["erpnext", "frappe-crm"]))
@click.option("--dry-run", is_flag=True, default=False, help="Do everything, print the report, save nothing")
@pass_context
def crm_migrate(context, source: str, dry_run: bool = False):
	"""Migrate ERPNext's CRM or Frappe CRM records into crm_module and print the mapping report."""
	import frappe

	from crm_module.services.migration import runs as migration

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		frappe.set_user("Administrator")
		try:
			run, report = migration.run_logged(source, dry_run=dry_run)
		except frappe.ValidationError as error:
			click.echo(frappe.utils.strip_html(str(error)), err=True)
			raise SystemExit(1) from error
		click.echo(report.as_text())
		click.echo(f"(logged as CRM Migration Run {run.name})")
	finally:
		frappe.destroy()


commands = [crm_migrate]
