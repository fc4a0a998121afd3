"""Migrations from ERPNext's CRM and from Frappe CRM (issue 12), and the ERPNext hand-offs (a won
opportunity drafts a Quotation / Sales Order; lead conversion links an ERPNext Customer).

Run on a site with ERPNext and Frappe CRM installed; elsewhere each suite skips and says why.
ERPNext commits when a Contact with a phone number is inserted (telephony's link_existing_conversations),
so the source records these tests make stay on the site: every name carries a per-run tag and the
assertions look at those records only."""

import frappe
from frappe.utils import add_days, flt, nowdate

from crm_module import constants
from crm_module.domain import migration_map as mm
from crm_module.services.conversion import convert_lead
from crm_module.services.migration import runs as migration
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import (
	as_user,
	make_customer,
	make_lead,
	make_opportunity,
	make_user,
	rep,
	stage,
)

TAG = frappe.generate_hash(length=6)
# phone numbers of this run: ERPNext keeps a Lead's phone unique, and these fixtures stay on the site
LINE = int(TAG, 16) % 10000


def phone(area: int, offset: int) -> str:
	"""A valid US number of this run, as typed: '+1 415 555 0142'."""
	return f"+1 {area} 555 {(LINE + offset) % 10000:04d}"


def e164(number: str) -> str:
	return "+" + "".join(ch for ch in number if ch.isdigit())


def target(source_doctype: str, source_name) -> str | None:
	return frappe.db.get_value(
		constants.SOURCE_LINK,
		{"source_doctype": source_doctype, "source_name": str(source_name)},
		"target_name",
	)


def problems(report: mm.MigrationReport, doctype: str) -> list[str]:
	return report.sections[doctype].problems if doctype in report.sections else []


def touch(doctype: str, name, **values) -> None:
	"""Change a source record the way a user does (a save, so `modified` moves on)."""
	doc = frappe.get_doc(doctype, name)
	doc.update(values)
	doc.flags.ignore_permissions = True
	doc.save()


def disabled_user() -> str:
	email = f"crm.gone.{TAG}@example.com"
	make_user(email)
	frappe.db.set_value("User", email, "enabled", 0)
	return email


# ------------------------------------------------------------------ ERPNext fixtures


def ensure_erpnext_basics() -> frappe._dict:
	"""A company, an item group, a UOM and a non-stock item: what a Quotation / Sales Order needs."""
	company = frappe.db.get_value("Company", {}, "name")
	if not company:
		company = (
			frappe.get_doc(
				{
					"doctype": "Company",
					"company_name": "CRM Migration Test Co",
					"abbr": "CMTC",
					"default_currency": "USD",
					"country": "United States",
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
	if not frappe.db.exists("Item Group", "All Item Groups"):
		frappe.get_doc({"doctype": "Item Group", "item_group_name": "All Item Groups", "is_group": 1}).insert(
			ignore_permissions=True
		)
	if not frappe.db.exists("UOM", "Nos"):
		frappe.get_doc({"doctype": "UOM", "uom_name": "Nos"}).insert(ignore_permissions=True)
	item = "CRM-DEAL-SERVICE"
	if not frappe.db.exists("Item", item):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": item,
				"item_name": "CRM deal (services)",
				"item_group": "All Item Groups",
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert(ignore_permissions=True)
	return frappe._dict(company=company, item=item)


def erpnext_customer(name: str, **kwargs) -> str:
	return (
		frappe.get_doc({"doctype": "Customer", "customer_name": name, "customer_type": "Company", **kwargs})
		.insert(ignore_permissions=True)
		.name
	)


def erpnext_contact(first: str, last: str, link: tuple[str, str] | None, emails=(), phones=()) -> str:
	doc = frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": first,
			"last_name": last,
			"designation": "CFO",
			"links": [{"link_doctype": link[0], "link_name": link[1]}] if link else [],
			"email_ids": [{"email_id": e, "is_primary": 1 if i == 0 else 0} for i, e in enumerate(emails)],
			"phone_nos": [
				{"phone": p, "is_primary_mobile_no": 1 if i == 0 else 0} for i, p in enumerate(phones)
			],
		}
	)
	return doc.insert(ignore_permissions=True).name


def lead_contact(lead: str) -> str | None:
	return frappe.db.get_value(
		"Dynamic Link", {"parenttype": "Contact", "link_doctype": "Lead", "link_name": lead}, "parent"
	)


def erpnext_opportunity(company: str, party_from: str, party: str, **kwargs) -> str:
	doc = frappe.get_doc(
		{
			"doctype": "Opportunity",
			"opportunity_from": party_from,
			"party_name": party,
			"company": company,
			"currency": "USD",
			"transaction_date": nowdate(),
			**kwargs,
		}
	)
	doc.flags.ignore_permissions = True
	doc.flags.ignore_mandatory = True
	return doc.insert().name


class TestERPNextMigration(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.installed = "erpnext" in frappe.get_installed_apps()

	def setUp(self):
		if not self.installed:
			self.skipTest("ERPNext is not installed on this site")
		frappe.set_user("Administrator")
		self.basics = ensure_erpnext_basics()

	def make_sources(self) -> frappe._dict:
		owner = rep(41)
		gone = disabled_user()
		if not frappe.db.exists("Sales Stage", f"Demo Booked {TAG}"):
			frappe.get_doc({"doctype": "Sales Stage", "stage_name": f"Demo Booked {TAG}"}).insert(
				ignore_permissions=True
			)
		for reason in ("Too expensive", "Budget cut"):
			if not frappe.db.exists("Opportunity Lost Reason", reason):
				frappe.get_doc({"doctype": "Opportunity Lost Reason", "lost_reason": reason}).insert(
					ignore_permissions=True
				)
		customer = erpnext_customer(f"Globex {TAG}", account_manager=owner, website="https://globex.example")
		contact = erpnext_contact(
			"Hank",
			"Scorpio",
			("Customer", customer),
			emails=(f"hank.{TAG}@globex.example", f"h.scorpio.{TAG}@globex.example"),
			phones=(phone(415, 199),),
		)
		lead = (
			frappe.get_doc(
				{
					"doctype": "Lead",
					"lead_name": f"Marge {TAG}",
					"company_name": f"Springfield {TAG}",
					"email_id": f"marge.{TAG}@springfield.example",
					"mobile_no": phone(415, 142),
					"status": "Replied",
					"source": "Cold Calling",
					"lead_owner": gone,
					"no_of_employees": "11-50",
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
		nameless = frappe.get_doc({"doctype": "Lead", "lead_name": f"Nameless {TAG}"}).insert(
			ignore_permissions=True
		)
		# legacy data: a lead whose name and email were emptied (a bad import), as the migration meets it
		frappe.db.set_value(
			"Lead",
			nameless.name,
			{"lead_name": "", "first_name": "", "middle_name": "", "last_name": "", "company_name": ""},
		)
		won = erpnext_opportunity(
			self.basics.company,
			"Customer",
			customer,
			title=f"Globex rollout {TAG}",
			status="Open",
			sales_stage=f"Demo Booked {TAG}",
			opportunity_owner=owner,
			contact_person=contact,
			probability=40,
			items=[
				{"item_code": self.basics.item, "qty": 2, "rate": 1234.565, "uom": "Nos"},
				{"item_code": self.basics.item, "qty": 3, "rate": 0.1, "uom": "Nos"},
			],
		)
		lost = erpnext_opportunity(
			self.basics.company,
			"Customer",
			customer,
			title=f"Globex support {TAG}",
			opportunity_amount=999.99,
			status="Lost",
			order_lost_reason="Chose a competitor",
			lost_reasons=[{"lost_reason": "Too expensive"}, {"lost_reason": "Budget cut"}],
		)
		orphan = erpnext_opportunity(
			self.basics.company, "Lead", lead, title=f"Springfield deal {TAG}", opportunity_amount=10
		)
		# ERPNext recomputes a lead's status on save (it has an opportunity now); set the one to map
		frappe.db.set_value("Lead", lead, "status", "Replied", update_modified=False)
		return frappe._dict(
			owner=owner,
			gone=gone,
			stage=f"Demo Booked {TAG}",
			customer=customer,
			contact=contact,
			lead=lead,
			nameless=nameless.name,
			won=won,
			lost=lost,
			orphan=orphan,
		)

	def test_migration_maps_every_record_and_is_idempotent(self):
		src = self.make_sources()
		report = migration.run_migration("erpnext")

		# Sales Stage -> a stage of the ERPNext pipeline, with final Won / Lost stages beside it
		stage_name = target("Sales Stage", src.stage)
		self.assertEqual(
			frappe.db.get_value(constants.PIPELINE_STAGE, stage_name, ["stage_name", "pipeline", "is_final"]),
			(src.stage, "ERPNext", 0),
		)
		self.assertTrue(frappe.db.exists(constants.PIPELINE_STAGE, {"pipeline": "ERPNext", "outcome": "Won"}))

		# Customer -> CRM Customer Profile, linked back to ERPNext, owner kept
		profile = frappe.get_doc(constants.CUSTOMER, target("Customer", src.customer))
		self.assertEqual(profile.company_name, f"Globex {TAG}")
		self.assertEqual(profile.erpnext_customer, src.customer)
		self.assertEqual(profile.account_owner, src.owner)
		self.assertEqual(profile.lifecycle_stage, "Customer")

		# Contact -> CRM Contact with both emails and the phone as child rows
		contact = frappe.get_doc(constants.CONTACT, target("Contact", src.contact))
		self.assertEqual(
			(contact.first_name, contact.last_name, contact.job_title), ("Hank", "Scorpio", "CFO")
		)
		self.assertEqual(contact.customer, profile.name)
		self.assertEqual(
			[(r.email_id, r.is_primary) for r in contact.emails],
			[(f"hank.{TAG}@globex.example", 1), (f"h.scorpio.{TAG}@globex.example", 0)],
		)
		self.assertEqual([(r.phone, r.is_primary) for r in contact.phones], [(e164(phone(415, 199)), 1)])
		self.assertEqual(contact.email_id, f"hank.{TAG}@globex.example")

		# Lead -> CRM Sales Lead; status and source mapped, a disabled owner reported and left out
		lead = frappe.get_doc(constants.LEAD, target("Lead", src.lead))
		self.assertEqual((lead.lead_name, lead.company_name), (f"Marge {TAG}", f"Springfield {TAG}"))
		self.assertEqual((lead.status, lead.source, lead.company_size), ("Contacted", "Cold Call", "11-50"))
		self.assertEqual(
			(lead.email_id, lead.phone), (f"marge.{TAG}@springfield.example", e164(phone(415, 142)))
		)
		self.assertFalse(lead.lead_owner)
		self.assertIn(
			f"Lead {src.lead}: owner {src.gone} is not an enabled user: not mapped",
			report.sections["Lead"].notes,
		)
		self.assertIn(f"Lead {src.nameless}: no name or email", problems(report, "Lead"), report.as_text())
		self.assertIsNone(target("Lead", src.nameless))

		# Opportunity -> CRM Opportunity: value = items total to the cent, stage, contact, owner
		won = frappe.get_doc(constants.OPPORTUNITY, target("Opportunity", src.won))
		self.assertEqual(flt(won.value, 2), 2469.43)  # 2 x 1234.565 = 2469.13 (+ 3 x 0.10)
		self.assertEqual((won.customer, won.contact, won.stage), (profile.name, contact.name, stage_name))
		self.assertEqual((won.status, won.opportunity_owner, won.pipeline), ("Open", src.owner, "ERPNext"))
		self.assertEqual(flt(won.probability_percent), 40)
		self.assertEqual(won.opportunity_name, f"Globex rollout {TAG}")

		lost = frappe.get_doc(constants.OPPORTUNITY, target("Opportunity", src.lost))
		self.assertEqual((lost.status, flt(lost.value, 2)), ("Lost", 999.99))
		self.assertEqual(lost.win_loss_reason, "Too expensive\nBudget cut\nChose a competitor")

		# an opportunity of a lead without an ERPNext customer goes to a customer made from the lead
		springfield = target(mm.as_customer("Lead"), src.lead)
		self.assertEqual(
			frappe.db.get_value(constants.CUSTOMER, springfield, ["company_name", "customer_type"]),
			(f"Springfield {TAG}", "Company"),
		)
		self.assertEqual(
			frappe.db.get_value(constants.OPPORTUNITY, target("Opportunity", src.orphan), "customer"),
			springfield,
		)
		self.assertEqual(
			[p for p in problems(report, "Opportunity") if p.startswith(f"Opportunity {src.orphan}:")], []
		)

		# the links back are stored once per source record
		self.assertEqual(
			frappe.db.count(constants.SOURCE_LINK, {"source_doctype": "Opportunity", "source_name": src.won}),
			1,
		)

		# a second run adds nothing and changes nothing
		modified = frappe.db.get_value(constants.OPPORTUNITY, won.name, "modified")
		again = migration.run_migration("erpnext")
		totals = again.totals()
		self.assertEqual((totals["created"], totals["updated"]), (0, 0), again.as_text())
		self.assertEqual(frappe.db.get_value(constants.OPPORTUNITY, won.name, "modified"), modified)
		self.assertIn(f"Lead {src.nameless}: no name or email", problems(again, "Lead"))

		# a source change is brought over, and only that one (the lead and the customer made from it)
		touch("Lead", src.lead, status="Interested", job_title="Owner")
		third = migration.run_migration("erpnext")
		self.assertEqual(third.counts()["Lead"]["updated"], 1, third.as_text())
		self.assertEqual(third.counts()["Lead (as customer)"]["updated"], 1, third.as_text())
		self.assertEqual(third.totals()["updated"], 2, third.as_text())
		self.assertEqual(third.totals()["created"], 0, third.as_text())
		self.assertEqual(
			frappe.db.get_value(constants.LEAD, lead.name, ["status", "job_title"]), ("Qualified", "Owner")
		)

		# an opportunity won in ERPNext afterwards moves to the Won stage, without an ERPNext draft
		touch("Opportunity", src.won, status="Converted")
		migration.run_migration("erpnext")
		won.reload()
		self.assertEqual(won.status, "Won")
		self.assertFalse(won.erpnext_sales_document)

	def test_opportunities_of_leads_without_a_customer_keep_their_customer(self):
		owner = rep(44)
		walter = (
			frappe.get_doc(
				{
					"doctype": "Lead",
					"lead_name": f"Walter White {TAG}",
					"email_id": f"walter.{TAG}@example.com",
					"mobile_no": phone(505, 148),
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
		# the Contact ERPNext makes for a lead (CRM Settings "Auto Creation of Contact"), else one by hand
		contact = lead_contact(walter) or erpnext_contact(
			"Walter", f"White {TAG}", ("Lead", walter), emails=(f"walter.{TAG}@example.com",)
		)
		pollos = (
			frappe.get_doc(
				{"doctype": "Lead", "lead_name": f"Gus {TAG}", "company_name": f"Los Pollos {TAG}"}
			)
			.insert(ignore_permissions=True)
			.name
		)
		first = erpnext_opportunity(
			self.basics.company, "Lead", walter, opportunity_amount=500.005, opportunity_owner=owner
		)
		won = erpnext_opportunity(
			self.basics.company, "Lead", walter, opportunity_amount=20, status="Converted"
		)
		chicken = erpnext_opportunity(self.basics.company, "Lead", pollos, opportunity_amount=7)

		report = migration.run_migration("erpnext")

		person = frappe.get_doc(constants.CUSTOMER, target(mm.as_customer("Lead"), walter))
		self.assertEqual(
			(person.company_name, person.customer_type, person.email_id, person.phone),
			(f"Walter White {TAG}", "Individual", f"walter.{TAG}@example.com", e164(phone(505, 148))),
		)
		self.assertEqual((person.lifecycle_stage, person.account_owner), ("Customer", owner))
		self.assertEqual(person.source_lead, target("Lead", walter))
		company = frappe.get_doc(constants.CUSTOMER, target(mm.as_customer("Lead"), pollos))
		self.assertEqual(
			(company.company_name, company.customer_type, company.lifecycle_stage),
			(f"Los Pollos {TAG}", "Company", "Prospect"),
		)

		# the lead's Contact is the person customer's contact, and the opportunities' contact
		self.assertEqual(
			frappe.db.get_value(constants.CONTACT, target("Contact", contact), "customer"), person.name
		)
		opp = frappe.get_doc(constants.OPPORTUNITY, target("Opportunity", first))
		self.assertEqual(
			(opp.customer, opp.contact, opp.lead, opp.status, flt(opp.value, 2)),
			(person.name, target("Contact", contact), target("Lead", walter), "Open", 500.01),
		)
		self.assertEqual(
			frappe.db.get_value(constants.OPPORTUNITY, target("Opportunity", won), ["customer", "status"]),
			(person.name, "Won"),
		)
		self.assertEqual(
			frappe.db.get_value(constants.OPPORTUNITY, target("Opportunity", chicken), "customer"),
			company.name,
		)
		self.assertEqual(frappe.db.count(constants.CUSTOMER, {"company_name": f"Walter White {TAG}"}), 1)
		for name in (first, won, chicken):
			self.assertEqual([p for p in problems(report, "Opportunity") if f" {name}:" in p], [])

		again = migration.run_migration("erpnext")
		totals = again.totals()
		self.assertEqual((totals["created"], totals["updated"], totals["joined"]), (0, 0, 0), again.as_text())
		self.assertEqual(frappe.db.count(constants.CUSTOMER, {"company_name": f"Walter White {TAG}"}), 1)

	def test_dry_run_saves_nothing(self):
		lead = frappe.get_doc({"doctype": "Lead", "lead_name": f"Dry {TAG}"}).insert(ignore_permissions=True)
		report = migration.run_migration("erpnext", dry_run=True)
		self.assertGreaterEqual(report.counts()["Lead"]["created"], 1)
		self.assertIn("dry run", report.as_text())
		self.assertIsNone(target("Lead", lead.name))
		self.assertFalse(frappe.db.exists(constants.LEAD, {"lead_name": f"Dry {TAG}"}))

	def test_only_managers_migrate(self):
		with as_user(rep(42)):
			self.assertRaises(frappe.PermissionError, migration.run_migration, "erpnext")
			self.assertRaises(frappe.PermissionError, migration.enqueue_migration, "erpnext")
		self.assertRaises(frappe.ValidationError, migration.run_migration, "salesforce")

	# ------------------------------------------------------------------ hand-offs

	def won_opportunity(self, kind: str | None, item: str | None, erpnext_name: str | None = None):
		settings = frappe.get_single(constants.SETTINGS)
		settings.erpnext_won_document = kind or "None"
		settings.erpnext_deal_item = item
		settings.save(ignore_permissions=True)
		name = f"Initech {TAG} {kind} {frappe.generate_hash(length=4)}"
		customer = make_customer(name, ignore_permissions=True)
		if erpnext_name:
			frappe.db.set_value(constants.CUSTOMER, customer.name, "erpnext_customer", erpnext_name)
		opp = make_opportunity(customer.name, value=4321.09, ignore_permissions=True)
		opp.reload()
		opp.stage = stage("Closed Won")
		opp.save(ignore_permissions=True)
		opp.reload()
		return opp

	def test_a_won_opportunity_drafts_a_quotation(self):
		erpnext_name = erpnext_customer(f"Initech Q {TAG}")
		opp = self.won_opportunity("Quotation", self.basics.item, erpnext_name)
		self.assertEqual(opp.status, "Won")
		self.assertEqual(opp.erpnext_sales_doctype, "Quotation")
		quotation = frappe.get_doc("Quotation", opp.erpnext_sales_document)
		self.assertEqual((quotation.docstatus, quotation.party_name), (0, erpnext_name))
		self.assertEqual(
			[(r.item_code, r.qty, flt(r.rate, 2)) for r in quotation.items], [(self.basics.item, 1, 4321.09)]
		)
		# saving the won opportunity again drafts nothing more
		opp.description = "signed"
		opp.save(ignore_permissions=True)
		self.assertEqual(frappe.db.count("Quotation", {"party_name": erpnext_name}), 1)

	def test_a_won_opportunity_drafts_a_sales_order(self):
		erpnext_name = erpnext_customer(f"Initech SO {TAG}")
		opp = self.won_opportunity("Sales Order", self.basics.item, erpnext_name)
		order = frappe.get_doc("Sales Order", opp.erpnext_sales_document)
		self.assertEqual(
			(order.docstatus, order.customer, flt(order.grand_total, 2)), (0, erpnext_name, 4321.09)
		)

	def test_without_an_item_the_timeline_says_why(self):
		opp = self.won_opportunity("Quotation", None, erpnext_customer(f"Initech NI {TAG}"))
		self.assertEqual(opp.status, "Won")
		self.assertFalse(opp.erpnext_sales_document)
		comments = frappe.get_all(
			"Comment",
			filters={"reference_doctype": constants.OPPORTUNITY, "reference_name": opp.name},
			pluck="content",
		)
		self.assertTrue(any("no Default Item for CRM Deals" in c for c in comments), comments)

	def test_no_draft_when_the_setting_is_none(self):
		opp = self.won_opportunity(None, self.basics.item, erpnext_customer(f"Initech N {TAG}"))
		self.assertFalse(opp.erpnext_sales_document)

	def test_conversion_links_an_erpnext_customer(self):
		frappe.db.set_single_value(constants.SETTINGS, "create_erpnext_customer", 1)
		try:
			lead = make_lead(f"Peter Gibbons {TAG}", company_name=f"Initrode {TAG}", ignore_permissions=True)
			result = convert_lead(lead.name)
		finally:
			frappe.db.set_single_value(constants.SETTINGS, "create_erpnext_customer", 0)
		self.assertTrue(result["erpnext_customer"])
		self.assertEqual(
			frappe.db.get_value("Customer", result["erpnext_customer"], "customer_name"), f"Initrode {TAG}"
		)
		self.assertEqual(
			frappe.db.get_value(constants.CUSTOMER, result["customer"], "erpnext_customer"),
			result["erpnext_customer"],
		)


# ------------------------------------------------------------------ Frappe CRM


class TestFrappeCRMMigration(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.installed = "crm" in frappe.get_installed_apps()

	def setUp(self):
		if not self.installed:
			self.skipTest("Frappe CRM is not installed on this site")
		frappe.set_user("Administrator")
		# Frappe CRM asks an online service for exchange rates between differing currencies
		frappe.db.set_single_value("FCRM Settings", "currency", "USD")

	def make_sources(self) -> frappe._dict:
		owner = rep(43)
		won_status = frappe.db.get_value("CRM Deal Status", {"type": "Won"}, "name")
		open_status = frappe.db.get_value("CRM Deal Status", {"type": ("in", ["Open", "Ongoing"])}, "name")
		org = frappe.get_doc(
			{
				"doctype": "CRM Organization",
				"organization_name": f"Vandelay {TAG}",
				# the FCRM currency: another one makes Frappe CRM fetch an exchange rate over the internet
				"currency": frappe.db.get_single_value("FCRM Settings", "currency") or "USD",
				"website": "https://vandelay.example",
				"no_of_employees": "51-200",
				"annual_revenue": 1500000.555,
			}
		).insert(ignore_permissions=True)
		contact = erpnext_contact(
			"Art",
			"Vandelay",
			("CRM Organization", org.name),
			emails=(f"art.{TAG}@vandelay.example",),
			phones=("+1 212 555 0123",),
		)
		frappe.db.set_value("Contact", contact, "company_name", org.name)
		lead = frappe.get_doc(
			{
				"doctype": "CRM Lead",
				"first_name": "George",
				"last_name": f"Costanza {TAG}",
				"organization": org.name,
				"email": f"george.{TAG}@vandelay.example",
				"status": "Nurture",
				"lead_owner": owner,
			}
		).insert(ignore_permissions=True)
		deal = frappe.get_doc(
			{
				"doctype": "CRM Deal",
				"organization": org.name,
				"status": open_status,
				"deal_value": 7777.775,
				"currency": "USD",
				"lead": lead.name,
				"contacts": [{"contact": contact, "is_primary": 1}],
			}
		).insert(ignore_permissions=True)
		won_deal = frappe.get_doc(
			{
				"doctype": "CRM Deal",
				"organization": org.name,
				"status": won_status,
				"deal_value": 100,
				"currency": "USD",
			}
		).insert(ignore_permissions=True)
		orphan_deal = frappe.get_doc(
			{"doctype": "CRM Deal", "status": open_status, "deal_value": 5, "currency": "USD"}
		).insert(ignore_permissions=True)
		note = frappe.get_doc(
			{
				"doctype": "FCRM Note",
				"title": f"Kickoff {TAG}",
				"content": "<p>Latex imports</p>",
				"reference_doctype": "CRM Deal",
				"reference_docname": deal.name,
			}
		).insert(ignore_permissions=True)
		call = frappe.get_doc(
			{
				"doctype": "CRM Call Log",
				"id": f"CALL-{TAG}",
				"from": "+12125550123",
				"to": "+12125550999",
				"type": "Incoming",
				"status": "Completed",
				"duration": 150,
				"reference_doctype": "CRM Deal",
				"reference_docname": deal.name,
			}
		).insert(ignore_permissions=True)
		task = frappe.get_doc(
			{
				"doctype": "CRM Task",
				"title": f"Send contract {TAG}",
				"status": "Todo",
				"due_date": add_days(nowdate(), 3) + " 10:00:00",
				"reference_doctype": "CRM Lead",
				"reference_docname": lead.name,
			}
		).insert(ignore_permissions=True)
		return frappe._dict(
			owner=owner,
			org=org.name,
			contact=contact,
			lead=lead.name,
			deal=deal.name,
			won_deal=won_deal.name,
			orphan_deal=orphan_deal.name,
			note=note.name,
			call=call.name,
			task=task.name,
			open_status=open_status,
		)

	def test_migration_maps_every_record_and_is_idempotent(self):
		src = self.make_sources()
		report = migration.run_migration("frappe-crm")

		profile = frappe.get_doc(constants.CUSTOMER, target("CRM Organization", src.org))
		self.assertEqual((profile.company_name, profile.company_size), (f"Vandelay {TAG}", "51-200"))
		self.assertEqual(flt(profile.annual_revenue, 2), 1500000.56)
		self.assertEqual(profile.lifecycle_stage, "Customer")  # it has a won deal

		contact = frappe.get_doc(constants.CONTACT, target("Contact", src.contact))
		self.assertEqual((contact.first_name, contact.customer), ("Art", profile.name))
		self.assertEqual([r.email_id for r in contact.emails], [f"art.{TAG}@vandelay.example"])
		self.assertEqual([r.phone for r in contact.phones], ["+12125550123"])

		lead = frappe.get_doc(constants.LEAD, target("CRM Lead", src.lead))
		self.assertEqual(lead.lead_name, f"George Costanza {TAG}")
		self.assertEqual(
			(lead.status, lead.lead_owner, lead.converted_customer), ("Converted", src.owner, profile.name)
		)

		opp = frappe.get_doc(constants.OPPORTUNITY, target("CRM Deal", src.deal))
		self.assertEqual(flt(opp.value, 2), 7777.78)
		self.assertEqual((opp.customer, opp.contact, opp.lead), (profile.name, contact.name, lead.name))
		self.assertEqual(opp.stage, target("CRM Deal Status", src.open_status))
		self.assertEqual((opp.pipeline, opp.status), ("Frappe CRM", "Open"))
		won = frappe.get_doc(constants.OPPORTUNITY, target("CRM Deal", src.won_deal))
		self.assertEqual(won.status, "Won")
		self.assertIn(
			f"CRM Deal {src.orphan_deal}: no organization, no contact and no lead: nobody to make its customer"
			" from",
			problems(report, "CRM Deal"),
		)

		note = frappe.get_doc(constants.NOTE, target("FCRM Note", src.note))
		self.assertEqual((note.reference_doctype, note.reference_name), (constants.OPPORTUNITY, opp.name))
		self.assertEqual((note.title, note.customer), (f"Kickoff {TAG}", profile.name))
		self.assertIn("Latex imports", note.content)

		call = frappe.get_doc(constants.INTERACTION, target("CRM Call Log", src.call))
		self.assertEqual((call.interaction_type, call.duration_minutes, call.outcome), ("Call", 3, "Neutral"))
		self.assertEqual((call.opportunity, call.customer), (opp.name, profile.name))
		self.assertEqual(call.subject, "Incoming call from +12125550123")

		task = frappe.get_doc(constants.INTERACTION, target("CRM Task", src.task))
		self.assertEqual(
			(task.interaction_type, task.lead, task.next_step), ("Task", lead.name, f"Send contract {TAG}")
		)
		self.assertEqual(str(task.next_step_date), add_days(nowdate(), 3))

		again = migration.run_migration("frappe-crm")
		self.assertEqual((again.totals()["created"], again.totals()["updated"]), (0, 0), again.as_text())
		self.assertIn(
			f"CRM Deal {src.orphan_deal}: no organization, no contact and no lead: nobody to make its customer"
			" from",
			problems(again, "CRM Deal"),
		)

		touch("CRM Deal", src.deal, deal_value=8000)
		third = migration.run_migration("frappe-crm")
		self.assertEqual(third.counts()["CRM Deal"]["updated"], 1, third.as_text())
		self.assertEqual(third.totals()["updated"], 1, third.as_text())
		self.assertEqual(flt(frappe.db.get_value(constants.OPPORTUNITY, opp.name, "value"), 2), 8000)

	def test_deals_without_organization_become_opportunities_of_person_customers(self):
		owner = rep(45)
		won_status = frappe.db.get_value("CRM Deal Status", {"type": "Won"}, "name")
		open_status = frappe.db.get_value("CRM Deal Status", {"type": ("in", ["Open", "Ongoing"])}, "name")
		jerry = erpnext_contact(
			"Jerry",
			f"Seinfeld {TAG}",
			None,
			emails=(f"jerry.{TAG}@example.com",),
			phones=(phone(212, 142),),
		)
		# another Contact record of the same person (same email, other case): joined, not a second customer
		jerry_again = erpnext_contact("J.", f"Seinfeld {TAG}", None, emails=(f"Jerry.{TAG}@EXAMPLE.com",))
		elaine = frappe.get_doc(
			{
				"doctype": "CRM Lead",
				"first_name": "Elaine",
				"last_name": f"Benes {TAG}",
				"email": f"elaine.{TAG}@example.com",
				"mobile_no": phone(212, 177),
			}
		).insert(ignore_permissions=True)

		def deal(status, value, contacts=(), lead=None, deal_owner=None):
			return (
				frappe.get_doc(
					{
						"doctype": "CRM Deal",
						"status": status,
						"deal_value": value,
						"currency": "USD",
						"lead": lead,
						"deal_owner": deal_owner,
						"contacts": [
							{"contact": c, "is_primary": 1 if i == 0 else 0} for i, c in enumerate(contacts)
						],
					}
				)
				.insert(ignore_permissions=True)
				.name
			)

		first = deal(open_status, 1234.565, [jerry], deal_owner=owner)
		second = deal(won_status, 50, [jerry])
		third = deal(open_status, 10, [jerry_again])
		from_lead = deal(open_status, 99, lead=elaine.name)
		nobody = deal(open_status, 1)

		report = migration.run_migration("frappe-crm")

		# the person of the first deal became a customer of type Individual, won (the second deal)
		customer = frappe.get_doc(constants.CUSTOMER, target(mm.as_customer("Contact"), jerry))
		self.assertEqual(
			(customer.company_name, customer.customer_type, customer.email_id, customer.phone),
			(f"Jerry Seinfeld {TAG}", "Individual", f"jerry.{TAG}@example.com", e164(phone(212, 142))),
		)
		self.assertEqual((customer.lifecycle_stage, customer.account_owner), ("Customer", owner))
		self.assertEqual(target(mm.as_customer("Contact"), jerry_again), customer.name)
		self.assertIn(
			f"Contact (as customer) {jerry_again}: the same email (Jerry.{TAG}@example.com) as customer {customer.name}:"
			" joined to it",
			report.sections[mm.as_customer("Contact")].notes,
		)
		self.assertEqual(frappe.db.count(constants.CUSTOMER, {"company_name": f"Jerry Seinfeld {TAG}"}), 1)

		# the contact is the customer's contact; the other Contact of the same person is joined to it
		contact = frappe.get_doc(constants.CONTACT, target("Contact", jerry))
		self.assertEqual(
			(contact.first_name, contact.last_name, contact.customer),
			("Jerry", f"Seinfeld {TAG}", customer.name),
		)
		self.assertEqual(target("Contact", jerry_again), contact.name)
		self.assertEqual(frappe.db.count(constants.CONTACT, {"customer": customer.name}), 1)

		# the deals: value to the cent, stage and status mapped, the contact linked
		opp = frappe.get_doc(constants.OPPORTUNITY, target("CRM Deal", first))
		self.assertEqual(
			(opp.customer, opp.contact, opp.stage, opp.status, flt(opp.value, 2)),
			(customer.name, contact.name, target("CRM Deal Status", open_status), "Open", 1234.57),
		)
		self.assertEqual(
			(opp.opportunity_name, opp.opportunity_owner), (f"Jerry Seinfeld {TAG} ({first})", owner)
		)
		self.assertEqual(
			frappe.db.get_value(
				constants.OPPORTUNITY, target("CRM Deal", second), ["customer", "contact", "status", "stage"]
			),
			(customer.name, contact.name, "Won", target("CRM Deal Status", won_status)),
		)
		self.assertEqual(
			frappe.db.get_value(constants.OPPORTUNITY, target("CRM Deal", third), ["customer", "contact"]),
			(customer.name, contact.name),
		)

		# a deal with neither organization nor contact: its customer is made from its lead
		lead = frappe.get_doc(constants.LEAD, target("CRM Lead", elaine.name))
		person = frappe.get_doc(constants.CUSTOMER, target(mm.as_customer("CRM Lead"), elaine.name))
		self.assertEqual(
			(
				person.company_name,
				person.customer_type,
				person.email_id,
				person.phone,
				person.lifecycle_stage,
			),
			(
				f"Elaine Benes {TAG}",
				"Individual",
				f"elaine.{TAG}@example.com",
				e164(phone(212, 177)),
				"Prospect",
			),
		)
		self.assertEqual(person.source_lead, lead.name)
		self.assertEqual((lead.status, lead.converted_customer), ("Converted", person.name))
		self.assertEqual(
			frappe.db.get_value(
				constants.OPPORTUNITY, target("CRM Deal", from_lead), ["customer", "lead", "contact"]
			),
			(person.name, lead.name, None),
		)

		# nobody to make a customer from: refused, and said why
		self.assertIn(
			f"CRM Deal {nobody}: no organization, no contact and no lead: nobody to make its customer from",
			problems(report, "CRM Deal"),
		)
		for name in (first, second, third, from_lead):
			self.assertEqual([p for p in problems(report, "CRM Deal") if f" {name}:" in p], [])

		# a second run creates nothing, changes nothing and joins nothing
		again = migration.run_migration("frappe-crm")
		totals = again.totals()
		self.assertEqual((totals["created"], totals["updated"], totals["joined"]), (0, 0, 0), again.as_text())
		self.assertEqual(frappe.db.count(constants.CUSTOMER, {"company_name": f"Jerry Seinfeld {TAG}"}), 1)
		self.assertEqual(
			frappe.db.count(constants.SOURCE_LINK, {"source_doctype": "CRM Deal", "source_name": first}), 1
		)

	def test_a_migrated_lead_keeps_its_owner_unassigned_beside_a_lead_with_its_email(self):
		owner = rep(46)
		email = f"kramer.{TAG}@example.com"
		make_lead(f"Kramer already here {TAG}", ignore_permissions=True, email_id=email)
		source = frappe.get_doc(
			{
				"doctype": "CRM Lead",
				"first_name": "Cosmo",
				"last_name": f"Kramer {TAG}",
				"email": email,
				"status": "New",
				"lead_owner": owner,
			}
		).insert(ignore_permissions=True)

		report = migration.run_migration("frappe-crm")

		# written by the import engine as a save would store it, without the owner's assignment (ToDo)
		# and without the duplicate guard (the source keeps such leads side by side)
		lead = target("CRM Lead", source.name)
		self.assertEqual(
			frappe.db.get_value(constants.LEAD, lead, ["lead_name", "email_id", "lead_owner", "_assign"]),
			(f"Cosmo Kramer {TAG}", email, owner, None),
		)
		self.assertEqual(frappe.db.count(constants.LEAD, {"email_id": email}), 2)
		self.assertEqual(
			frappe.db.count("ToDo", {"reference_type": constants.LEAD, "reference_name": lead}), 0
		)
		self.assertEqual(frappe.db.count(constants.LEAD_SCORE, {"lead": lead}), 1)  # scored once
		self.assertEqual(
			frappe.db.get_all(
				constants.RECORD_ACCESS,
				filters={"record_type": constants.LEAD, "record_name": lead},
				pluck="user",
			),
			[owner],
		)
		self.assertEqual([p for p in problems(report, "CRM Lead") if source.name in p], [])
