"""The backfill's set-based work on the CRM side (issue 20, `services/integrations/crm_bulk.py`): CRM
Customer Profiles and CRM Contacts made from ERPNext-only Customers and their Contacts store what the
live sync's ORM insert stores, field by field; new pairs already equal only get their link and merge
base; refused rows are reported, not fatal. Skipped (and says so) on a site without ERPNext.

ERPNext commits when a Contact with a phone number is inserted (telephony), and the import engine commits
per batch, so every name carries a per-run tag and the assertions look at those records only."""

import frappe

from crm_module import constants
from crm_module.domain import erp_sync as rules
from crm_module.services.integrations import crm_bulk, erp_backfill, erp_sync
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import make_customer

TAG = frappe.generate_hash(length=6)
RECORD = {"name", "creation", "modified"}


class BackfillCase(IntegrationTestCase):
	def setUp(self):
		if not erp_sync.erpnext_installed():
			self.skipTest("ERPNext is not installed on this site")
		frappe.set_user("Administrator")
		if not erp_sync.enabled():
			frappe.db.set_single_value(constants.SETTINGS, "sync_with_erpnext", 1)
		frappe.flags.crm_sync_test = False  # the records are made before the sync is on

	def tearDown(self):
		frappe.flags.crm_sync_test = False
		frappe.set_user("Administrator")

	def erp_customer(self, name: str, **values) -> str:
		return frappe.get_doc({"doctype": "Customer", "customer_name": name, **values}).insert().name

	def erp_contact(self, customer: str, first: str, emails=(), phones=(), **values) -> str:
		return (
			frappe.get_doc(
				{
					"doctype": "Contact",
					"first_name": first,
					"links": [{"link_doctype": "Customer", "link_name": customer}],
					"email_ids": [{"email_id": e, "is_primary": int(i == 0)} for i, e in enumerate(emails)],
					"phone_nos": phones,
					**values,
				}
			)
			.insert()
			.name
		)

	def fields(self, doctype: str, name: str, skip=()) -> dict:
		doc = frappe.get_doc(doctype, name).as_dict(no_default_fields=False)
		return {
			k: v
			for k, v in doc.items()
			if k not in RECORD | set(skip) and not k.startswith("_") and not isinstance(v, list)
		}

	def access(self, doctype: str, name: str) -> list[str]:
		return sorted(
			frappe.get_all(
				constants.RECORD_ACCESS,
				filters={"record_type": doctype, "record_name": name},
				pluck="user",
			)
		)


class TestCrmSideEqualToOrm(BackfillCase):
	def test_profiles_and_contacts_equal_to_the_live_sync(self):
		made = []
		for copy in range(2):
			customer = self.erp_customer(
				f"Crmside {TAG}", customer_type="Individual", website="https://crmside.example.com"
			)
			contact = self.erp_contact(
				customer,
				f"Crmside{TAG}",
				emails=(f"a{copy}.{TAG}@example.com", f"b{copy}.{TAG}@example.com"),
				phones=[
					{"phone": f"+1415555{copy}301", "is_primary_mobile_no": 1},
					{"phone": f"+1415555{copy}302"},
				],
				last_name="Side",
				designation="Buyer",
			)
			made.append((customer, contact))
		(orm_customer, orm_contact), (bulk_customer, bulk_contact) = made
		frappe.flags.crm_sync_test = True
		erp_sync.run("Customer", orm_customer)
		erp_sync.run("Contact", orm_contact)
		report = rules.BackfillReport()
		self.assertEqual(crm_bulk.create_profiles([bulk_customer], report), (1, []))
		self.assertEqual(crm_bulk.create_crm_contacts([bulk_contact], report), (1, []))
		self.assertEqual(report.unpaired, [])

		profile = {
			c: frappe.db.get_value(constants.CUSTOMER, {"erpnext_customer": c}, "name")
			for c in (orm_customer, bulk_customer)
		}
		orm, new = profile[orm_customer], profile[bulk_customer]
		self.assertTrue(orm and new)
		self.assertEqual(
			self.fields(constants.CUSTOMER, new, ("erpnext_customer",)),
			self.fields(constants.CUSTOMER, orm, ("erpnext_customer",)),
		)
		self.assertEqual(
			frappe.db.get_value(
				constants.CUSTOMER,
				new,
				["company_name", "customer_type", "website", "lifecycle_stage", "status"],
			),
			(f"Crmside {TAG}", "Individual", "https://crmside.example.com", "Customer", "Active"),
		)
		self.assertEqual(self.access(constants.CUSTOMER, new), self.access(constants.CUSTOMER, orm))

		crm = {
			k: frappe.db.get_value(constants.CONTACT, {"frappe_contact": k}, "name")
			for k in (orm_contact, bulk_contact)
		}
		orm_crm, new_crm = crm[orm_contact], crm[bulk_contact]
		self.assertTrue(orm_crm and new_crm)
		skip = ("frappe_contact", "customer", "email_id", "phone", "erp_sync_state")
		self.assertEqual(
			self.fields(constants.CONTACT, new_crm, skip), self.fields(constants.CONTACT, orm_crm, skip)
		)
		new_doc, orm_doc = (
			frappe.get_doc(constants.CONTACT, new_crm),
			frappe.get_doc(constants.CONTACT, orm_crm),
		)
		self.assertEqual(
			(new_doc.customer, new_doc.email_id, new_doc.phone, new_doc.full_name, new_doc.job_title),
			(new, f"a1.{TAG}@example.com", "+14155551301", f"Crmside{TAG} Side", "Buyer"),
		)
		self.assertEqual(new_doc.is_primary, 1)

		def emails(doc, copy: int):
			return [
				(
					r.email_id.replace(f"{copy}.{TAG}", f".{TAG}"),
					r.is_primary,
					r.email_type,
					r.is_verified,
					r.idx,
				)
				for r in doc.emails
			]

		def phones(doc, _copy: int):
			return [
				(r.phone[:8] + r.phone[9:], r.is_primary, r.phone_type, r.country_code, r.idx)
				for r in doc.phones
			]

		self.assertEqual(emails(new_doc, 1), emails(orm_doc, 0))
		self.assertEqual(phones(new_doc, 1), phones(orm_doc, 0))
		self.assertEqual(
			phones(new_doc, 1),
			[("+1415555301", 1, "Mobile", None, 1), ("+1415555302", 0, "Office", None, 2)],
		)
		self.assertEqual(self.access(constants.CONTACT, new_crm), self.access(constants.CONTACT, orm_crm))
		# the merge bases are the same too: the live sync sees nothing to do on either pair
		self.assertEqual(
			frappe.db.get_value(constants.CUSTOMER, new, "erp_sync_state"),
			frappe.db.get_value(constants.CUSTOMER, orm, "erp_sync_state"),
		)
		state = {
			n: frappe.parse_json(frappe.db.get_value(constants.CONTACT, n, "erp_sync_state"))
			for n in (orm_crm, new_crm)
		}
		for side in ("crm", "erp"):
			for key in rules.CONTACT_KEYS:
				if key not in (rules.EMAILS, rules.PRIMARY_EMAIL, rules.PHONES, rules.PRIMARY_PHONE):
					self.assertEqual(state[new_crm][side][key], state[orm_crm][side][key])
			self.assertEqual(state[new_crm][side][rules.PRIMARY_EMAIL], f"a1.{TAG}@example.com")
			self.assertEqual(state[new_crm][side][rules.PRIMARY_PHONE], "+14155551301")
		modified = frappe.db.get_value("Contact", bulk_contact, "modified")
		erp_sync.run(constants.CONTACT, new_crm)
		self.assertEqual(frappe.db.get_value("Contact", bulk_contact, "modified"), modified)


class TestBackfillBothWays(BackfillCase):
	def test_equal_pairs_get_links_erp_only_records_come_in_refusals_are_reported(self):
		scope = f"Bw{TAG}"
		# a pair equal on every mapped field: only its link and merge base are written
		equal = make_customer(f"{scope} Equal", ignore_permissions=True, customer_type="Company").name
		equal_customer = self.erp_customer(f"{scope} Equal", customer_type="Company")
		# the profile's owner (its creator) and no territory on either side
		frappe.db.set_value(
			"Customer", equal_customer, {"account_manager": "Administrator", "territory": None}
		)
		# a pair that differs (website): merged by the live sync, the later side wins
		differ = make_customer(f"{scope} Differ", ignore_permissions=True, website="https://crm.example.com")
		differ_customer = self.erp_customer(f"{scope} Differ")
		# ERPNext-only: a Customer with two Contacts, one of them with an address the CRM refuses
		only = self.erp_customer(f"{scope} Only", website="https://only.example.com")
		good = self.erp_contact(
			only, f"{scope}Gail", emails=(f"gail.{TAG}@example.com",), is_primary_contact=1
		)
		bad = self.erp_contact(only, f"{scope}Bert", emails=(f"bert.{TAG}@example.com",))
		frappe.db.set_value("Contact Email", {"parent": bad}, "email_id", "bert@@broken")
		frappe.db.set_value("Contact", bad, "email_id", "bert@@broken")
		before = frappe.db.get_value(constants.CUSTOMER, equal, "modified")
		versions = frappe.db.count("Version", {"ref_doctype": constants.CUSTOMER, "docname": equal})
		frappe.flags.crm_sync_test = True

		report = erp_backfill.backfill(commit=False, scope=scope)

		self.assertEqual(frappe.db.get_value(constants.CUSTOMER, equal, "erpnext_customer"), equal_customer)
		state = frappe.parse_json(frappe.db.get_value(constants.CUSTOMER, equal, "erp_sync_state"))
		self.assertEqual(state["crm"], state["erp"])
		self.assertEqual(state["crm"]["company_name"], f"{scope} Equal")
		self.assertEqual(frappe.db.get_value(constants.CUSTOMER, equal, "modified"), before)
		self.assertEqual(
			frappe.db.count("Version", {"ref_doctype": constants.CUSTOMER, "docname": equal}), versions
		)
		self.assertEqual(
			frappe.db.get_value(constants.CUSTOMER, differ.name, "erpnext_customer"), differ_customer
		)
		self.assertEqual(
			frappe.db.get_value("Customer", differ_customer, "website"),
			frappe.db.get_value(constants.CUSTOMER, differ.name, "website"),
		)
		profile = frappe.db.get_value(
			constants.CUSTOMER, {"erpnext_customer": only}, ["name", "company_name", "website"], as_dict=True
		)
		self.assertEqual(
			(profile.company_name, profile.website), (f"{scope} Only", "https://only.example.com")
		)
		gail = frappe.db.get_value(
			constants.CONTACT, {"frappe_contact": good}, ["customer", "email_id", "is_primary"], as_dict=True
		)
		self.assertEqual(
			(gail.customer, gail.email_id, gail.is_primary), (profile.name, f"gail.{TAG}@example.com", 1)
		)
		self.assertFalse(frappe.db.exists(constants.CONTACT, {"frappe_contact": bad}))
		self.assertEqual(report.paired["customers"]["name"], 2)
		self.assertEqual(report.created["customers"], {"crm": 1, "erp": 0})
		self.assertEqual(report.created["contacts"], {"crm": 1, "erp": 0})
		self.assertEqual([(u[0], u[1], u[2]) for u in report.unpaired], [("contacts", "Contact", bad)])
		self.assertIn("bert@@broken", report.unpaired[0][3])
		# reported, not retried record by record: no sync issue
		self.assertFalse(
			frappe.db.exists(constants.SYNC_ISSUE, {"record_doctype": "Contact", "record_name": bad})
		)
