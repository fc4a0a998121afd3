"""Migration from ERPNext's CRM (issue 12): Sales Stage -> CRM Pipeline Stage (pipeline "ERPNext"),
Customer / Prospect -> CRM Customer Profile, Contact -> CRM Contact, Lead -> CRM Sales Lead,
Opportunity (+ items, lost reasons) -> CRM Opportunity. The mapping rules are in
`crm_module/domain/migration_map.py`; the shared mechanics in `core.py`.

An Opportunity whose party is a Lead that has no Customer (nor Prospect) in ERPNext becomes an opportunity
of a customer made from that lead ("Lead (as customer)": a company customer when the lead names a
company, else a person customer; see `persons.py`); the Contacts linked to that lead become its contacts.
"""

import frappe

from crm_module import constants
from crm_module.domain import migration_map as mm
from crm_module.services.migration import persons
from crm_module.services.migration.core import Migration, SkipRecord, children, existing_fields, source_rows
from crm_module.services.migration.values import (
	LEAD_FIELDS,
	contact_rows,
	contact_values,
	customer_contact,
	lead_values,
	opportunity_values,
)

PIPELINE = "ERPNext"
LEAD_CUSTOMER = mm.as_customer("Lead")


def run(m: Migration) -> None:
	m.run_steps(
		(
			("Sales Stage", migrate_stages),
			("Customer", migrate_customers),
			("Prospect", migrate_prospects),
			("Customers from leads", migrate_lead_customers),
			("Contact", migrate_contacts),
			("Lead", migrate_leads),
			("Opportunity", migrate_opportunities),
		)
	)


# ------------------------------------------------------------------ stages


def migrate_stages(m: Migration) -> None:
	pipeline = m.ensure_pipeline(PIPELINE, "Migrated from ERPNext's Sales Stages")
	sources = {s.name: s for s in frappe.get_all("Sales Stage", fields=["name", "stage_name", "modified"])}
	plans = mm.erpnext_stage_plan(sorted(sources, key=lambda n: sources[n].stage_name or n))
	m.migrate_stages(pipeline, "Sales Stage", sources, plans)


# ------------------------------------------------------------------ customers and prospects


def migrate_customers(m: Migration) -> None:
	sources = source_rows(
		"Customer",
		[
			"customer_name",
			"industry",
			"website",
			"email_id",
			"mobile_no",
			"account_manager",
			"disabled",
			"default_currency",
			"customer_details",
			"customer_type",
			"_assign",
		],
	)

	def build(source, notes):
		name = (source.customer_name or "").strip()
		if not name:
			raise SkipRecord("no customer name")
		return {
			"company_name": name,
			"customer_type": mm.customer_type(source.customer_type),
			"industry": source.industry,
			"website": source.website,
			"email_id": m.email(source.email_id, notes),
			"phone": m.phone(source.mobile_no, notes),
			"status": "Inactive" if source.disabled else "Active",
			"lifecycle_stage": "Customer",
			"account_owner": m.owner(notes, source.account_manager, assign=source._assign),
			"currency": source.default_currency,
			"description": source.customer_details,
			"erpnext_customer": source.name,
		}

	m.migrate_many("Customer", sources, constants.CUSTOMER, build)


def migrate_prospects(m: Migration) -> None:
	if not frappe.db.exists("DocType", "Prospect"):
		return
	sources = source_rows(
		"Prospect",
		[
			"company_name",
			"industry",
			"website",
			"no_of_employees",
			"annual_revenue",
			"prospect_owner",
			"_assign",
		],
	)

	def build(source, notes):
		name = (source.company_name or source.name or "").strip()
		return {
			"company_name": name,
			"industry": source.industry,
			"website": source.website,
			"company_size": source.no_of_employees,
			"annual_revenue": float(mm.to_cents(source.annual_revenue)),
			"lifecycle_stage": "Prospect",
			"account_owner": m.owner(notes, source.prospect_owner, assign=source._assign),
		}

	m.migrate_many("Prospect", sources, constants.CUSTOMER, build)


# ------------------------------------------------------------------ customers made from leads


def lead_parties(m: Migration) -> frappe._dict:
	"""What the opportunities of Lead parties need, read once per run: each lead's ERPNext Customer
	(`customer`, by Customer.lead_name) and Prospect (`prospect`), the leads that exist (`leads`) and the
	opportunities from leads (`opportunities`, oldest first)."""
	if "lead_parties" not in m.state:
		m.state["lead_parties"] = frappe._dict(
			customer={
				row.lead_name: row.name
				for row in frappe.get_all(
					"Customer",
					filters={"lead_name": ("is", "set")},
					fields=["name", "lead_name"],
					order_by="creation desc",  # the oldest wins
				)
			},
			prospect=(
				{row.lead: row.parent for row in frappe.get_all("Prospect Lead", fields=["parent", "lead"])}
				if frappe.db.exists("DocType", "Prospect Lead")
				else {}
			),
			opportunities=frappe.get_all(
				"Opportunity",
				filters={"opportunity_from": "Lead", "party_name": ("is", "set")},
				fields=["name", "party_name", "status", "opportunity_owner", "_assign"],
				order_by="creation asc",
			),
		)
		parties = m.state["lead_parties"]
		names = list({o.party_name for o in parties.opportunities})
		parties.leads = set(
			frappe.get_all("Lead", filters={"name": ("in", names)}, pluck="name") if names else []
		)
	return m.state["lead_parties"]


def migrate_lead_customers(m: Migration) -> None:
	"""A customer for every Lead that is an Opportunity's party without a Customer or Prospect."""
	parties = lead_parties(m)
	won: dict[str, bool] = {}
	owner: dict[str, str | None] = {}
	for opp in parties.opportunities:
		lead = opp.party_name
		if lead in parties.customer or lead in parties.prospect or lead not in parties.leads:
			continue
		won[lead] = won.get(lead, False) or mm.erpnext_opportunity_outcome(opp.status) == "Won"
		owner.setdefault(lead, opp.opportunity_owner)
	if not won:
		return
	fields = existing_fields("Lead", ["name", "modified", *LEAD_FIELDS, "company_name", "email_id"])
	sources = frappe.get_all(
		"Lead", filters={"name": ("in", list(won))}, fields=fields, order_by="creation asc"
	)

	def values_of(source, notes):
		return persons.lead_customer_values(
			m, source, notes, source.company_name, source.email_id, won[source.name], [owner[source.name]]
		)

	persons.migrate_customers(m, LEAD_CUSTOMER, sources, values_of)


# ------------------------------------------------------------------ contacts


def migrate_contacts(m: Migration) -> None:
	links = frappe.get_all(
		"Dynamic Link",
		filters={"parenttype": "Contact", "link_doctype": ("in", ["Customer", "Prospect", "Lead"])},
		fields=["parent", "link_doctype", "link_name"],
		order_by="parent asc, idx asc",
	)
	by_contact: dict[str, list] = {}
	for link in links:
		by_contact.setdefault(link.parent, []).append(link)
	if not by_contact:
		return
	sources = contact_rows(list(by_contact))

	def build(source, notes):
		parties = by_contact[source.name]
		customer = next(
			(
				m.target(p.link_doctype, p.link_name)
				for p in parties
				if p.link_doctype in ("Customer", "Prospect") and m.target(p.link_doctype, p.link_name)
			),
			None,
		) or next(  # a contact of a lead that an opportunity made a customer of
			(
				m.target(LEAD_CUSTOMER, p.link_name)
				for p in parties
				if p.link_doctype == "Lead" and m.target(LEAD_CUSTOMER, p.link_name)
			),
			None,
		)
		if not customer:
			named = ", ".join(f"{p.link_doctype} {p.link_name}" for p in parties)
			if all(p.link_doctype == "Lead" for p in parties):
				raise SkipRecord(
					f"linked to {named} only (a lead without a customer): its details migrate with the lead"
				)
			raise SkipRecord(f"linked to {named}, none of them migrated")
		return contact_values(m, source, customer, notes)

	m.migrate_many("Contact", sources, constants.CONTACT, build)


# ------------------------------------------------------------------ leads


def migrate_leads(m: Migration) -> None:
	sources = source_rows("Lead", [*LEAD_FIELDS, "company_name", "email_id", "country"])
	converted_to = {
		row.lead_name: row.name
		for row in frappe.get_all(
			"Customer",
			filters={"lead_name": ("is", "set")},
			fields=["name", "lead_name"],
			order_by="creation asc",
		)
	}
	notes_by_lead = children("CRM Note", "Lead", ["note", "added_by", "added_on"]) if sources else {}

	def build(source, notes):
		customer = m.target("Customer", converted_to.get(source.name))
		values = lead_values(
			m,
			source,
			notes,
			name=mm.lead_name(
				source.lead_name,
				source.first_name,
				source.last_name,
				source.company_name,
				source.email_id,
			),
			status=mm.erpnext_lead_status(source.status, bool(customer)),
			customer=customer,
			company=source.company_name,
			email=source.email_id,
		)
		values["country"] = source.country
		values["notes"] = mm.notes_text(notes_by_lead.get(source.name, []))
		return values

	def after(source, name):
		persons.mark_source_lead(m, LEAD_CUSTOMER, source.name, name)

	m.migrate_many("Lead", sources, constants.LEAD, build, after)


# ------------------------------------------------------------------ opportunities


def migrate_opportunities(m: Migration) -> None:
	sources = source_rows(
		"Opportunity",
		[
			"title",
			"opportunity_from",
			"party_name",
			"customer_name",
			"status",
			"sales_stage",
			"opportunity_amount",
			"currency",
			"probability",
			"expected_closing",
			"order_lost_reason",
			"contact_person",
			"source",
			"opportunity_type",
			"opportunity_owner",
			"transaction_date",
			"_assign",
		],
	)
	if not sources:
		return
	items = children("Opportunity Item", "Opportunity", ["rate", "qty", "amount"])
	lost = children("Opportunity Lost Reason Detail", "Opportunity", ["lost_reason"])
	competitors = (
		children("Competitor Detail", "Opportunity", ["competitor"])
		if frappe.db.exists("DocType", "Competitor Detail")
		else {}
	)
	notes_by_opp = children("CRM Note", "Opportunity", ["note", "added_by", "added_on"])
	parties = lead_parties(m)
	lead_contacts: dict[str, list[str]] = {}
	for link in frappe.get_all(
		"Dynamic Link",
		filters={"parenttype": "Contact", "link_doctype": "Lead"},
		fields=["parent", "link_name"],
		order_by="parent asc, idx asc",
	):
		lead_contacts.setdefault(link.link_name, []).append(link.parent)

	def party_customer(source) -> str:
		kind, party = source.opportunity_from, source.party_name
		if kind in ("Customer", "Prospect"):
			customer = m.target(kind, party)
			if not customer:
				raise SkipRecord(f"its party {kind} {party} was not migrated")
			return customer
		if kind != "Lead":
			raise SkipRecord(f"its party {kind} {party} cannot be mapped (only Customer, Prospect or Lead)")
		if party in parties.customer:
			customer = m.target("Customer", parties.customer[party])
			what = f"Customer {parties.customer[party]}"
		elif party in parties.prospect:
			customer = m.target("Prospect", parties.prospect[party])
			what = f"Prospect {parties.prospect[party]}"
		else:
			customer = m.target(LEAD_CUSTOMER, party)
			what = None
		if customer:
			return customer
		if what:
			raise SkipRecord(f"its party Lead {party} became {what} in ERPNext, which was not migrated")
		if party not in parties.leads:
			raise SkipRecord(f"its party Lead {party} no longer exists in ERPNext")
		raise SkipRecord(f"no customer could be made from its party Lead {party} (see {LEAD_CUSTOMER})")

	def lead_contact(lead: str, customer: str) -> str | None:
		"""The first migrated Contact of `lead` that is a contact of `customer`."""
		return next(
			(
				customer_contact(m, m.target("Contact", c), customer)
				for c in lead_contacts.get(lead, [])
				if customer_contact(m, m.target("Contact", c), customer)
			),
			None,
		)

	def build(source, notes):
		customer = party_customer(source)
		outcome = mm.erpnext_opportunity_outcome(source.status)
		if outcome:
			stage = m.final_stage(PIPELINE, outcome)
		else:
			stage = m.target("Sales Stage", source.sales_stage)
			if not stage:
				stage = m.first_open_stage(PIPELINE)
				if source.sales_stage:
					notes.append(f"sales stage {source.sales_stage} not migrated: first stage")
		contact = m.target("Contact", source.contact_person)
		if contact and not customer_contact(m, contact, customer):
			notes.append(f"contact {source.contact_person} belongs to another customer: left out")
			contact = None
		if not contact and source.opportunity_from == "Lead":
			contact = lead_contact(source.party_name, customer)
		reasons = [r.lost_reason for r in lost.get(source.name, [])]
		competitor_names = [r.competitor for r in competitors.get(source.name, []) if r.competitor]
		return opportunity_values(
			m,
			notes,
			outcome=outcome,
			probability=source.probability,
			closed_on=source.modified,
			owner=source.opportunity_owner,
			assign=source._assign,
			opportunity_name=source.title or source.customer_name or source.party_name or source.name,
			customer=customer,
			contact=contact,
			pipeline=PIPELINE,
			stage=stage,
			value=float(mm.opportunity_value(source.opportunity_amount, items.get(source.name, []))),
			currency=source.currency,
			expected_close_date=source.expected_closing,
			source=mm.opportunity_source(source.source),
			opportunity_type=mm.opportunity_type(source.opportunity_type),
			lead=m.target("Lead", source.party_name) if source.opportunity_from == "Lead" else None,
			win_loss_reason=mm.loss_reason(reasons, source.order_lost_reason, outcome, source.status),
			competitors=", ".join(competitor_names) or None,
			description=mm.notes_text(notes_by_opp.get(source.name, [])),
		)

	m.migrate_many("Opportunity", sources, constants.OPPORTUNITY, build)
