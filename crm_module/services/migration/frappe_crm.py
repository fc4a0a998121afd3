"""Migration from Frappe CRM (issue 12): CRM Deal Status -> CRM Pipeline Stage (pipeline "Frappe CRM"),
CRM Organization -> CRM Customer Profile, Contact (linked to a deal or an organization) -> CRM Contact,
CRM Lead -> CRM Sales Lead, CRM Deal -> CRM Opportunity, FCRM Note -> CRM Internal Note,
CRM Call Log -> CRM Interaction (Call), CRM Task -> CRM Interaction (Task).

A deal without organization (a person buying) becomes an opportunity of a customer made from its primary
contact ("Contact (as customer)"), else from its lead ("CRM Lead (as customer)"), see
`services/migration/persons.py`; when that contact belongs to a Frappe CRM organization, the deal goes to
that organization's customer. The contact becomes a CRM Contact of the person customer.

Tasks become interactions of type Task, not ToDos: in this app an open ToDo on a lead gives its assignee
access to the lead and makes them its owner (services/assignment.py), which a migration must not do
behind the managers' backs. An open task keeps its title and due date as the interaction's next step
(next_step / next_step_date), which the follow-up reminders read; a done or cancelled one is history.
"""

from dataclasses import dataclass

import frappe
from frappe.utils import get_datetime, getdate

from crm_module import constants
from crm_module.domain import migration_map as mm
from crm_module.services import bulk
from crm_module.services.migration import persons
from crm_module.services.migration.core import (
	JOIN,
	JOIN_SOURCE,
	Migration,
	SkipRecord,
	children,
	existing_fields,
	source_pages,
	source_rows,
)
from crm_module.services.migration.values import (
	LEAD_FIELDS,
	contact_rows,
	contact_values,
	customer_contact,
	lead_values,
	opportunity_values,
)

PIPELINE = "Frappe CRM"
ORGANIZATION = "CRM Organization"
CONTACT_CUSTOMER = mm.as_customer("Contact")
LEAD_CUSTOMER = mm.as_customer("CRM Lead")


def run(m: Migration) -> None:
	m.run_steps(steps())


def steps() -> tuple:
	"""The (label, migrate(m)) steps of a run, in order (each one reads what the ones before made)."""
	return (
		("CRM Deal Status", migrate_stages),
		("CRM Organization", migrate_organizations),
		("Customers from contacts and leads", migrate_person_customers),
		("Contact", migrate_contacts),
		("CRM Lead", migrate_leads),
		("CRM Deal", migrate_deals),
		("FCRM Note", migrate_notes),
		("CRM Call Log", migrate_call_logs),
		("CRM Task", migrate_tasks),
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
	sources = source_rows(
		"CRM Organization",
		["organization_name", "website", "no_of_employees", "annual_revenue", "industry", "currency"],
	)

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

	m.migrate_many("CRM Organization", sources, constants.CUSTOMER, build)


def won_statuses() -> list[str]:
	return frappe.get_all("CRM Deal Status", filters={"type": "Won"}, pluck="name")


# ------------------------------------------------------------------ deals without organization


@dataclass(frozen=True)
class Party:
	"""Where a deal's customer comes from: the source key and record whose migrated target is the customer
	("CRM Organization", CONTACT_CUSTOMER or LEAD_CUSTOMER), and a note for the deal's report."""

	key: str
	name: str
	note: str | None = None


def deal_parties(m: Migration) -> dict[str, Party | None]:
	"""Every deal's party (None: no organization, no contact and no lead). Without an organization: its
	primary contact (else its first existing one), or that contact's organization when the contact belongs
	to one; else its lead. Computed once per run."""
	if "deal_parties" in m.state:
		return m.state["deal_parties"]
	deals = frappe.get_all("CRM Deal", fields=["name", "organization", "lead"], order_by="creation asc")
	orgless = [d.name for d in deals if not d.organization]
	rows = children("CRM Contacts", "CRM Deal", ["contact", "is_primary"], orgless) if orgless else {}
	named = list({r.contact for deal_rows in rows.values() for r in deal_rows if r.contact})
	company = {
		c.name: c.company_name
		for c in (
			frappe.get_all("Contact", filters={"name": ("in", named)}, fields=["name", "company_name"])
			if named
			else []
		)
	}
	orgs = set(
		frappe.get_all(
			ORGANIZATION, filters={"name": ("in", list(set(filter(None, company.values()))))}, pluck="name"
		)
		if any(company.values())
		else []
	)
	wanted_leads = list({d.lead for d in deals if not d.organization and d.lead})
	leads = set(
		frappe.get_all("CRM Lead", filters={"name": ("in", wanted_leads)}, pluck="name")
		if wanted_leads
		else []
	)
	parties: dict[str, Party | None] = {}
	for deal in deals:
		if deal.organization:
			parties[deal.name] = Party(ORGANIZATION, deal.organization)
			continue
		ordered = sorted(rows.get(deal.name, []), key=lambda r: not r.is_primary)
		contact = next((r.contact for r in ordered if r.contact in company), None)
		if contact and company[contact] in orgs:
			org = company[contact]
			note = f"no organization: its contact {contact} belongs to organization {org}, so does the deal"
			parties[deal.name] = Party(ORGANIZATION, org, note)
		elif contact:
			parties[deal.name] = Party(CONTACT_CUSTOMER, contact)
		elif deal.lead in leads:
			parties[deal.name] = Party(LEAD_CUSTOMER, deal.lead)
		else:
			parties[deal.name] = None
	m.state["deal_parties"] = parties
	return parties


def migrate_person_customers(m: Migration) -> None:
	"""The customers of the deals without organization, made from their contact or lead (persons.py)."""
	parties = deal_parties(m)
	people = {p for p in parties.values() if p and p.key != ORGANIZATION}
	if not people:
		return
	won = set(won_statuses())
	deals = frappe.get_all(
		"CRM Deal",
		filters={"organization": ("is", "not set")},
		fields=["name", "status", "deal_owner", "_assign"],
		order_by="creation asc",
	)
	won_by: dict[Party, bool] = {}
	first_deal: dict[Party, frappe._dict] = {}
	for deal in deals:
		party = parties.get(deal.name)
		if party not in people:
			continue
		won_by[party] = won_by.get(party, False) or deal.status in won
		first_deal.setdefault(party, deal)
	contacts = {c.name: c for c in contact_rows([p.name for p in first_deal if p.key == CONTACT_CUSTOMER])}
	lead_names = [p.name for p in first_deal if p.key == LEAD_CUSTOMER]
	leads = {
		row.name: row
		for row in (
			frappe.get_all(
				"CRM Lead",
				filters={"name": ("in", lead_names)},
				fields=existing_fields(
					"CRM Lead", ["name", "modified", *LEAD_FIELDS, "organization", "email"]
				),
			)
			if lead_names
			else []
		)
	}
	deal_of = {(party.key, party.name): (won_by[party], deal) for party, deal in first_deal.items()}

	def contact_customer(source, notes):
		won_deal, deal = deal_of[(CONTACT_CUSTOMER, source.name)]
		return persons.contact_customer_values(m, source, notes, won_deal, [deal.deal_owner], deal._assign)

	def lead_customer(source, notes):
		won_deal, deal = deal_of[(LEAD_CUSTOMER, source.name)]
		return persons.lead_customer_values(
			m, source, notes, source.organization, source.email, won_deal, [deal.deal_owner]
		)

	# (a contact or lead deleted in Frappe CRM while this run read it is not in these lists)
	persons.migrate_customers(m, CONTACT_CUSTOMER, list(contacts.values()), contact_customer)
	persons.migrate_customers(m, LEAD_CUSTOMER, list(leads.values()), lead_customer)


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
	sources = contact_rows(sorted(names))
	known = person_contacts(m)

	def build(source, notes):
		candidates = [source.company_name] if source.company_name in orgs else []
		candidates += [deal_org.get(deal) for deal in by_contact.get(source.name, [])]
		customer = next((m.target(ORGANIZATION, o) for o in candidates if m.target(ORGANIZATION, o)), None)
		if customer:
			return contact_values(m, source, customer, notes)
		customer = m.target(CONTACT_CUSTOMER, source.name)  # a person buying: their own customer
		if not customer:
			named = ", ".join(dict.fromkeys(filter(None, candidates)))
			if named:
				raise SkipRecord(f"its organization ({named}) was not migrated")
			raise SkipRecord(
				f"no organization, and no customer could be made from it (see {CONTACT_CUSTOMER})"
			)
		values = contact_values(m, source, customer, notes)
		same = same_person_contact(m, source, customer, values, known)
		if isinstance(same, tuple):  # a contact of this step, not written yet
			notes.append(
				lambda name: f"the same email as contact {name} of customer {customer}: joined to it"
			)
			return {JOIN_SOURCE: same}
		if same:
			notes.append(f"the same email as contact {same} of customer {customer}: joined to it")
			return {JOIN: same}
		return values

	m.migrate_many("Contact", sources, constants.CONTACT, build)


def person_contacts(m: Migration) -> dict[tuple[str, str], str | tuple[str, str]]:
	"""{(customer, lower-cased email): contact} of the CRM Contacts of person customers made by
	migrations (one query per chunk, not one per contact)."""
	customers = [
		link.target_name
		for key in (CONTACT_CUSTOMER, LEAD_CUSTOMER)
		for link in m.load_links(key).values()
		if link.target_doctype == constants.CUSTOMER
	]
	known = {}
	for chunk in bulk.chunks(sorted(set(customers)), 5000):
		for row in frappe.get_all(
			constants.CONTACT,
			filters={"customer": ("in", list(chunk)), "email_id": ("is", "set")},
			fields=["name", "customer", "email_id"],
			order_by="creation asc",
		):
			known.setdefault((row.customer, row.email_id.lower()), row.name)
	return known


def same_person_contact(
	m: Migration, source, customer: str, values: dict, known: dict
) -> str | tuple[str, str] | None:
	"""The CRM Contact of person customer `customer` with the primary email of `source` (a Contact first
	met now: another Contact record of the same person), ("Contact", name) when that is a Contact of
	this step not written yet, else None (and `source` is remembered in `known` for the next ones)."""
	if m.target("Contact", source.name):
		return None
	email = next((r["email_id"] for r in values["emails"] if r["is_primary"]), None)
	if not email:
		return None
	key = (customer, email.lower())
	if key in known:
		return known[key]
	known[key] = ("Contact", source.name)
	return None


# ------------------------------------------------------------------ leads and deals


def migrate_leads(m: Migration) -> None:
	sources = source_pages("CRM Lead", [*LEAD_FIELDS, "organization", "email", "converted"])
	deal_of_lead = {
		row.lead: row
		for row in frappe.get_all(
			"CRM Deal",
			filters={"lead": ("is", "set")},
			fields=["name", "lead", "organization"],
			order_by="creation asc",
		)
	}
	parties = deal_parties(m)

	def build(source, notes):
		deal = deal_of_lead.get(source.name)
		party = parties.get(deal.name) if deal else None
		customer = m.target(party.key, party.name) if party else None
		return lead_values(
			m,
			source,
			notes,
			name=mm.lead_name(
				source.lead_name, source.first_name, source.last_name, source.organization, source.email
			),
			status=mm.frappe_crm_lead_status(source.status, bool(source.converted or deal), bool(customer)),
			customer=customer,
			company=source.organization,
			email=source.email,
		)

	def after(source, name):
		persons.mark_source_lead(m, LEAD_CUSTOMER, source.name, name)

	m.migrate_many("CRM Lead", sources, constants.LEAD, build, after)


def migrate_deals(m: Migration) -> None:
	sources = source_pages(
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
	if not frappe.db.count("CRM Deal"):
		return
	types = dict(frappe.get_all("CRM Deal Status", fields=["name", "type"], as_list=True))
	contacts = children("CRM Contacts", "CRM Deal", ["contact", "is_primary"])
	parties = deal_parties(m)

	def build(source, notes):
		party = parties.get(source.name)
		customer = deal_customer(m, party, source.organization)
		if party.note:
			notes.append(party.note)
		outcome = mm.FRAPPE_CRM_STATUS_OUTCOME.get(types.get(source.status) or "Open")
		stage = m.target("CRM Deal Status", source.status)
		if not stage or (outcome and m.value(constants.PIPELINE_STAGE, stage, "outcome") != outcome):
			stage = m.final_stage(PIPELINE, outcome) if outcome else m.first_open_stage(PIPELINE)
			notes.append(f"status {source.status} not migrated: stage {stage}")
		rows = sorted(contacts.get(source.name, []), key=lambda r: not r.is_primary)
		contact = next((m.target("Contact", r.contact) for r in rows if m.target("Contact", r.contact)), None)
		return opportunity_values(
			m,
			notes,
			outcome=outcome,
			probability=source.probability,
			closed_on=source.closed_date or source.modified,
			owner=source.deal_owner,
			assign=source._assign,
			opportunity_name="{} ({})".format(
				source.organization_name
				or source.organization
				or m.value(constants.CUSTOMER, customer, "company_name"),
				source.name,
			),
			customer=customer,
			contact=customer_contact(m, contact, customer),
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

	m.migrate_many("CRM Deal", sources, constants.OPPORTUNITY, build)


def deal_customer(m: Migration, party: Party | None, organization: str | None) -> str:
	"""The migrated customer of a deal's party; SkipRecord with the reason when there is none."""
	if party is None:
		if organization:  # a deal made after `deal_parties` read them
			raise SkipRecord(f"its organization {organization} was not migrated")
		raise SkipRecord("no organization, no contact and no lead: nobody to make its customer from")
	customer = m.target(party.key, party.name)
	if customer:
		return customer
	if party.key == ORGANIZATION:
		raise SkipRecord(f"its organization {party.name} was not migrated")
	what = "contact" if party.key == CONTACT_CUSTOMER else "lead"
	raise SkipRecord(
		f"no organization, and no customer could be made from its {what} {party.name} (see {party.key})"
	)


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
				"customer": m.value(constants.OPPORTUNITY, opportunity, "customer"),
			}
	if not doctype or not name:
		raise SkipRecord("no reference to a lead or deal")
	raise SkipRecord(f"{doctype} {name} not migrated")


def migrate_notes(m: Migration) -> None:
	sources = source_pages("FCRM Note", ["title", "content", "reference_doctype", "reference_docname"])

	def build(source, notes):
		ref = reference(m, source.reference_doctype, source.reference_docname)
		content = (source.content or "").strip() or (source.title or "").strip()
		if not content:
			raise SkipRecord("no title or content")
		doctype, name = (
			(constants.LEAD, ref["lead"]) if "lead" in ref else (constants.OPPORTUNITY, ref["opportunity"])
		)
		return {
			"title": source.title,
			"content": content,
			"reference_doctype": doctype,
			"reference_name": name,
		}

	m.migrate_many("FCRM Note", sources, constants.NOTE, build)


def migrate_call_logs(m: Migration) -> None:
	sources = source_pages(
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
	)

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

	m.migrate_many("CRM Call Log", sources, constants.INTERACTION, build)


def migrate_tasks(m: Migration) -> None:
	sources = source_pages(
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
	)

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

	m.migrate_many("CRM Task", sources, constants.INTERACTION, build)
