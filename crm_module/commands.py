"""Bench commands of the app (Frappe imports `<app>.commands` and adds its `commands` list).

bench --site SITE crm-migrate erpnext|frappe-crm [--dry-run]
bench --site SITE crm-import FILE --doctype DOCTYPE [--dry-run] [--key email|external_id|name] [--update-existing]
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


@click.command("crm-import")
@click.argument("file", type=click.Path())
@click.option(
	"--doctype",
	required=True,
	help="CRM Sales Lead, CRM Interaction, CRM Customer Profile, CRM Contact, CRM Opportunity, CRM Internal Note",
)
@click.option(
	"--dry-run", is_flag=True, default=False, help="Check every row, print the report, write nothing"
)
@click.option(
	"--key",
	type=click.Choice(["email", "external_id", "name"]),
	default=None,
	help="Match rows to stored records on",
)
@click.option(
	"--update-existing", is_flag=True, default=False, help="Matched records: write the fields that differ"
)
@click.option("--batch-size", type=int, default=2000, help="Rows per batch (one transaction each)")
@pass_context
def crm_import(
	context,
	file: str,
	doctype: str,
	dry_run: bool = False,
	key: str | None = None,
	update_existing: bool = False,
	batch_size: int = 2000,
):
	"""Import a CSV or XLSX file (Data Import template columns) through the set-based import engine and
	print created / updated / refused, with each refused row's number, field and reason. Exits non-zero
	only when the import could not run (refused rows are a result, not a failure)."""
	import os

	import frappe

	from crm_module.services.imports import engine, files

	path = os.path.abspath(file)
	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		frappe.set_user("Administrator")
		try:
			rows = files.read_rows(doctype, path)
			result = engine.import_rows(
				doctype,
				rows,
				key=key,
				update_existing=update_existing,
				dry_run=dry_run,
				batch_size=batch_size,
			)
		except engine.ImportInterrupted as stopped:
			click.echo(stopped.result.as_text())
			click.echo(str(stopped), err=True)
			raise SystemExit(1) from stopped
		except frappe.ValidationError as error:
			click.echo(frappe.utils.strip_html(str(error)), err=True)
			raise SystemExit(1) from error
		click.echo(result.as_text())
	finally:
		frappe.destroy()


commands = [crm_migrate, crm_import]
