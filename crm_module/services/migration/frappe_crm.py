"""Migration from Frappe CRM (issue 12): CRM Deal Status -> CRM Pipeline Stage (pipeline "Frappe CRM"),
CRM Organization -> CRM Customer Profile, Contact (linked to a deal or an organization) -> CRM Contact,
CRM Lead -> CRM Sales Lead, CRM Deal -> CRM Opportunity, FCRM Note -> CRM Internal Note,
CRM Call Log -> CRM Interaction (Call), CRM Task -> CRM Interaction (Task).

Tasks become interactions of type Task, not ToDos: in this app an open ToDo on a lead gives its assignee
access to the lead and makes them its owner (services/assignment.py), which a migration must not do
behind the managers' backs. An open task keeps its title and due date as the interaction's next step
(next_step / next_step_date), which the follow-up reminders read; a done or cancelled one is history.
"""

import frappe
from frappe.utils import get_datetime, getdate

from crm_module import constants
from crm_module.domain import migration_map as mm
from crm_module.services.migration.core import Migration, SkipRecord, children, existing_fields, source_rows
from crm_module.services.migration.values import (
	LEAD_FIELDS,
	contact_rows,
	contact_values,
	customer_contact,
	lead_values,
	opportunity_values,
)

PIPELINE = "Frappe CRM"


def run(m: Migration) -> None:
	m.run_steps(
		(
			("CRM Deal Status", migrate_stages),
			("CRM Organization", migrate_organizations),
			("Contact", migrate_contacts),
			("CRM Lead", migrate_leads),
			("CRM Deal", migrate_deals),
			("FCRM Note", migrate_notes),
			("CRM Call Log", migrate_call_logs),
			("CRM Task", migrate_tasks),
		)
	)


def user_name(user: str | None) -> str | None:
	return frappe.utils.get_fullname(user) if user else None


# ------------------------------------------------------------------ stages


def migrate_stages(m: Migration) -> None:
	pipeline = m.ensure_pipeline(PIPELINE, "Migrated from Frappe CRM's deal statuses")
	fields = existing_fields(
		"CRM Deal Status", ["name", "modified", "deal_status", "position", "probability", "type"]
	)
	sources = {s.name: s for s in frappe.get_all("CRM Deal Status", fields=fields)}
	plans = mm.frappe_crm_stage_plan(
		[
			{"deal_status": s.name, "position": s.position, "probability": s.probability, "type": s.type}
			for s in sources.values()
		]
	)
	m.migrate_stages(pipeline, "CRM Deal Status", sources, plans)


# ------------------------------------------------------------------ organizations and contacts


def migrate_organizations(m: Migration) -> None:
	won = won_statuses()
	won_orgs = set(
		frappe.get_all(
			"CRM Deal", filters={"status": ("in", won or [""])}, pluck="organization", distinct=True
		)
	)
	for source in source_rows(
		"CRM Organization",
		["organization_name", "website", "no_of_employees", "annual_revenue", "industry", "currency"],
	):

		def build(source, notes):
			return {
				"company_name": (source.organization_name or source.name).strip(),
				"website": source.website,
				"company_size": source.no_of_employees,
				"annual_revenue": float(mm.to_cents(source.annual_revenue)),
				"industry": source.industry,
				"currency": source.currency,
				"lifecycle_stage": "Customer" if source.name in won_orgs else "Prospect",
			}

		m.migrate("CRM Organization", source, constants.CUSTOMER, build)


def won_statuses() -> list[str]:
	return frappe.get_all("CRM Deal Status", filters={"type": "Won"}, pluck="name")


def migrate_contacts(m: Migration) -> None:
	deal_contacts = frappe.get_all(
		"CRM Contacts",
		filters={"parenttype": "CRM Deal"},
		fields=["contact", "parent"],
		order_by="parent asc, idx asc",
	)
	deal_org = dict(frappe.get_all("CRM Deal", fields=["name", "organization"], as_list=True))
	orgs = set(frappe.get_all("CRM Organization", pluck="name"))
	by_contact: dict[str, list[str]] = {}
	for row in deal_contacts:
		if row.contact:
			by_contact.setdefault(row.contact, []).append(row.parent)
	names = set(by_contact)
	if orgs:
		names |= set(frappe.get_all("Contact", filters={"company_name": ("in", list(orgs))}, pluck="name"))
	if not names:
		return
	for source in contact_rows(sorted(names)):

		def build(source, notes):
			candidates = [source.company_name] if source.company_name in orgs else []
			candidates += [deal_org.get(deal) for deal in by_contact.get(source.name, [])]
			customer = next(
				(m.target("CRM Organization", o) for o in candidates if m.target("CRM Organization", o)), None
			)
			if not customer:
				named = ", ".join(filter(None, candidates)) or "none"
				raise SkipRecord(f"no migrated organization (organizations: {named})")
			return contact_values(m, source, customer, notes)

		m.migrate("Contact", source, constants.CONTACT, build)


# ------------------------------------------------------------------ leads and deals


def migrate_leads(m: Migration) -> None:
	sources = source_rows("CRM Lead", [*LEAD_FIELDS, "organization", "email", "converted"])
	deal_of_lead = {
		row.lead: row
		for row in frappe.get_all(
			"CRM Deal",
			filters={"lead": ("is", "set")},
			fields=["name", "lead", "organization"],
			order_by="creation asc",
		)
	}
	for source in sources:

		def build(source, notes):
			deal = deal_of_lead.get(source.name)
			customer = m.target("CRM Organization", deal.organization) if deal else None
			return lead_values(
				m,
				source,
				notes,
				name=mm.lead_name(
					source.lead_name, source.first_name, source.last_name, source.organization, source.email
				),
				status=mm.frappe_crm_lead_status(
					source.status, bool(source.converted or deal), bool(customer)
				),
				customer=customer,
				company=source.organization,
				email=source.email,
			)

		m.migrate("CRM Lead", source, constants.LEAD, build)


def migrate_deals(m: Migration) -> None:
	sources = source_rows(
		"CRM Deal",
		[
			"organization",
			"organization_name",
			"status",
			"probability",
			"deal_value",
			"net_total",
			"total",
			"expected_deal_value",
			"currency",
			"expected_closure_date",
			"closed_date",
			"lead",
			"deal_owner",
			"source",
			"lost_reason",
			"lost_notes",
			"next_step",
			"_assign",
		],
	)
	if not sources:
		return
	types = dict(frappe.get_all("CRM Deal Status", fields=["name", "type"], as_list=True))
	contacts = children("CRM Contacts", "CRM Deal", ["contact", "is_primary"])
	for source in sources:

		def build(source, notes):
			if not source.organization:
				raise SkipRecord("no organization")
			customer = m.target("CRM Organization", source.organization)
			if not customer:
				raise SkipRecord(f"organization {source.organization} not migrated")
			outcome = mm.FRAPPE_CRM_STATUS_OUTCOME.get(types.get(source.status) or "Open")
			stage = m.target("CRM Deal Status", source.status)
			if not stage or (
				outcome and frappe.db.get_value(constants.PIPELINE_STAGE, stage, "outcome") != outcome
			):
				stage = m.final_stage(PIPELINE, outcome) if outcome else m.first_open_stage(PIPELINE)
				notes.append(f"status {source.status} not migrated: stage {stage}")
			rows = sorted(contacts.get(source.name, []), key=lambda r: not r.is_primary)
			contact = next(
				(m.target("Contact", r.contact) for r in rows if m.target("Contact", r.contact)), None
			)
			return opportunity_values(
				m,
				notes,
				outcome=outcome,
				probability=source.probability,
				closed_on=source.closed_date or source.modified,
				owner=source.deal_owner,
				assign=source._assign,
				opportunity_name=f"{source.organization_name or source.organization} ({source.name})",
				customer=customer,
				contact=customer_contact(contact, customer),
				pipeline=PIPELINE,
				stage=stage,
				value=float(mm.deal_value(source)),
				currency=source.currency,
				expected_close_date=source.expected_closure_date,
				source=mm.opportunity_source(source.source),
				lead=m.target("CRM Lead", source.lead),
				win_loss_reason=mm.loss_reason([source.lost_reason], source.lost_notes, outcome, None),
				description=f"Next step: {source.next_step}" if source.next_step else None,
			)

		m.migrate("CRM Deal", source, constants.OPPORTUNITY, build)


# ------------------------------------------------------------------ notes, calls and tasks


def reference(m: Migration, doctype: str | None, name: str | None) -> dict:
	"""{lead} or {opportunity, customer} of this app for a Frappe CRM reference (CRM Lead / CRM Deal)."""
	if doctype == "CRM Lead":
		lead = m.target("CRM Lead", name)
		if lead:
			return {"lead": lead}
	elif doctype == "CRM Deal":
		opportunity = m.target("CRM Deal", name)
		if opportunity:
			return {
				"opportunity": opportunity,
				"customer": frappe.db.get_value(constants.OPPORTUNITY, opportunity, "customer"),
			}
	if not doctype or not name:
		raise SkipRecord("no reference to a lead or deal")
	raise SkipRecord(f"{doctype} {name} not migrated")


def migrate_notes(m: Migration) -> None:
	fields = ["name", "modified", "title", "content", "reference_doctype", "reference_docname"]
	for source in frappe.get_all("FCRM Note", fields=fields, order_by="creation asc"):

		def build(source, notes):
			ref = reference(m, source.reference_doctype, source.reference_docname)
			content = (source.content or "").strip() or (source.title or "").strip()
			if not content:
				raise SkipRecord("no title or content")
			doctype, name = (
				(constants.LEAD, ref["lead"])
				if "lead" in ref
				else (constants.OPPORTUNITY, ref["opportunity"])
			)
			return {
				"title": source.title,
				"content": content,
				"reference_doctype": doctype,
				"reference_name": name,
			}

		m.migrate("FCRM Note", source, constants.NOTE, build)


def migrate_call_logs(m: Migration) -> None:
	for source in source_rows(
		"CRM Call Log",
		[
			"creation",
			"from",
			"to",
			"type",
			"status",
			"start_time",
			"duration",
			"recording_url",
			"note",
			"caller",
			"receiver",
			"reference_doctype",
			"reference_docname",
		],
	):

		def build(source, notes):
			ref = reference(m, source.reference_doctype, source.reference_docname)
			text = frappe.db.get_value("FCRM Note", source.note, "content") if source.note else None
			description = "\n".join(
				filter(None, [text, f"Recording: {source.recording_url}" if source.recording_url else None])
			)
			agent = source.caller if source.type == "Outgoing" else source.receiver
			return {
				**ref,
				"interaction_type": "Call",
				"subject": mm.call_subject(source.type, source.get("from"), source.get("to")),
				"interaction_date": get_datetime(source.start_time or source.creation),
				"duration_minutes": mm.duration_minutes(source.duration),
				"outcome": mm.CALL_OUTCOME.get(source.status or ""),
				"conducted_by": user_name(agent),
				"description": description or None,
			}

		m.migrate("CRM Call Log", source, constants.INTERACTION, build)


def migrate_tasks(m: Migration) -> None:
	for source in source_rows(
		"CRM Task",
		[
			"creation",
			"title",
			"status",
			"priority",
			"start_date",
			"due_date",
			"assigned_to",
			"description",
			"reference_doctype",
			"reference_docname",
		],
	):

		def build(source, notes):
			ref = reference(m, source.reference_doctype, source.reference_docname)
			is_open = (source.status or "") not in mm.TASK_DONE
			return {
				**ref,
				"interaction_type": "Task",
				"subject": (source.title or "").strip() or f"Task {source.name}",
				"interaction_date": get_datetime(source.start_date or source.creation),
				"conducted_by": user_name(source.assigned_to),
				"next_step": source.title if is_open else None,
				"next_step_date": getdate(source.due_date) if is_open and source.due_date else None,
				"description": "\n".join(
					filter(None, [f"Status: {source.status}" if source.status else None, source.description])
				)
				or None,
			}

		m.migrate("CRM Task", source, constants.INTERACTION, build)
