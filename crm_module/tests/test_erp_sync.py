"""Live two-way sync of customers and contacts with ERPNext Customer and Frappe Contact, and the Contact
mirror without ERPNext (issue 20). The sync jobs run at once here (`erp_sync.queue` under
`frappe.flags.in_test` with `frappe.flags.crm_sync_test`), as `enqueue(now=True)` would.

The ERPNext suites skip on a site without ERPNext and say so; the Contact mirror suite runs everywhere.
ERPNext commits when a Contact with a phone number is inserted (telephony), so every name carries a
per-run tag and the assertions look at those records only."""

from unittest.mock import patch

import frappe

from crm_module import constants
from crm_module.domain import erp_sync as rules
from crm_module.services.integrations import contact_mirror, erp_backfill, erp_bulk, erp_sync
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import make_contact, make_customer

TAG = frappe.generate_hash(length=6)


def versions(doctype: str, name: str) -> int:
	return frappe.db.count("Version", {"ref_doctype": doctype, "docname": name})


def crm_contact(customer: str, first: str, emails=(), phones=(), **kwargs):
	return make_contact(
		customer,
		first,
		ignore_permissions=True,
		emails=[{"email_id": e, "is_primary": int(i == 0)} for i, e in enumerate(emails)],
		phones=[
			{"phone": p, "is_primary": int(i == 0), "phone_type": "Mobile"} for i, p in enumerate(phones)
		],
		**kwargs,
	)


class SyncCase(IntegrationTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		frappe.flags.crm_sync_test = True
		if not erp_sync.enabled():
			frappe.db.set_single_value(constants.SETTINGS, "sync_with_erpnext", 1)

	def tearDown(self):
		frappe.flags.crm_sync_test = False
		frappe.set_user("Administrator")


class TestContactMirror(SyncCase):
	"""CRM contacts -> Frappe Contact, with or without ERPNext (the composer's recipients)."""

	def test_contact_is_mirrored_with_rows_and_found_by_the_composer(self):
		profile = make_customer(f"Mirror {TAG}", ignore_permissions=True)
		crm = crm_contact(profile.name, f"Mira{TAG}", emails=(f"mira.{TAG}@example.com",), last_name="Jones")
		crm.reload()
		self.assertTrue(crm.frappe_contact)
		contact = frappe.get_doc("Contact", crm.frappe_contact)
		self.assertEqual((contact.first_name, contact.last_name), (f"Mira{TAG}", "Jones"))
		self.assertEqual(contact.email_id, f"mira.{TAG}@example.com")
		self.assertEqual(contact.owner, "Administrator")
		from frappe.email import get_contact_list

		found = get_contact_list(f"Mira{TAG}")
		self.assertEqual([row.value for row in found], [f"mira.{TAG}@example.com"])
		# deleted in the CRM: gone from Contact
		frappe.delete_doc(constants.CONTACT, crm.name, ignore_permissions=True)
		self.assertFalse(frappe.db.exists("Contact", contact.name))

	def test_switched_off_nothing_is_mirrored(self):
		frappe.db.set_single_value(constants.SETTINGS, "sync_with_erpnext", 0)
		profile = make_customer(f"Off {TAG}", ignore_permissions=True)
		crm = crm_contact(profile.name, f"Otto{TAG}")
		crm.reload()
		self.assertFalse(crm.frappe_contact)
		self.assertFalse(frappe.db.exists("Contact", {"first_name": f"Otto{TAG}"}))


class ERPNextCase(SyncCase):
	def setUp(self):
		if not erp_sync.erpnext_installed():
			self.skipTest("ERPNext is not installed on this site")
		super().setUp()


class TestCustomerSync(ERPNextCase):
	def test_crm_to_erpnext_create_change_disable_delete(self):
		profile = make_customer(f"Crm Side {TAG}", ignore_permissions=True, website="https://a.example.com")
		profile.reload()
		customer = profile.erpnext_customer
		self.assertEqual(
			frappe.db.get_value("Customer", customer, ["customer_name", "website", "disabled"]),
			(f"Crm Side {TAG}", "https://a.example.com", 0),
		)
		profile.website = "https://b.example.com"
		profile.save()
		self.assertEqual(frappe.db.get_value("Customer", customer, "website"), "https://b.example.com")
		profile.reload()
		profile.status = "Inactive"
		profile.save()
		self.assertEqual(frappe.db.get_value("Customer", customer, "disabled"), 1)
		frappe.delete_doc(constants.CUSTOMER, profile.name, ignore_permissions=True)
		self.assertFalse(frappe.db.exists("Customer", customer))

	def test_erpnext_to_crm_create_change_disable_delete(self):
		customer = frappe.get_doc(
			{"doctype": "Customer", "customer_name": f"Erp Side {TAG}", "customer_type": "Individual"}
		).insert()
		profile = frappe.db.get_value(constants.CUSTOMER, {"erpnext_customer": customer.name}, "name")
		self.assertTrue(profile)
		self.assertEqual(
			frappe.db.get_value(constants.CUSTOMER, profile, ["company_name", "customer_type", "status"]),
			(f"Erp Side {TAG}", "Individual", "Active"),
		)
		customer.reload()
		customer.disabled = 1
		customer.website = "https://erp.example.com"
		customer.save()
		self.assertEqual(
			frappe.db.get_value(constants.CUSTOMER, profile, ["status", "website"]),
			("Inactive", "https://erp.example.com"),
		)
		frappe.delete_doc("Customer", customer.name)
		self.assertFalse(frappe.db.exists(constants.CUSTOMER, profile))

	def test_no_echo_one_version_each_side(self):
		profile = make_customer(f"Echo {TAG}", ignore_permissions=True)
		profile.reload()
		customer = profile.erpnext_customer
		crm_before, erp_before = versions(constants.CUSTOMER, profile.name), versions("Customer", customer)
		profile.website = "https://echo.example.com"
		profile.save(ignore_version=False)  # a user's save (tests skip versions unless told)
		self.assertEqual(versions(constants.CUSTOMER, profile.name), crm_before + 1)
		self.assertEqual(versions("Customer", customer), erp_before + 1)
		doc = frappe.get_doc("Customer", customer)
		doc.website = "https://echo2.example.com"
		doc.save(ignore_version=False)
		self.assertEqual(versions("Customer", customer), erp_before + 2)
		self.assertEqual(versions(constants.CUSTOMER, profile.name), crm_before + 2)
		# an unmapped change writes nothing on the other side
		profile.reload()
		profile.description = "only the CRM has this"
		profile.save(ignore_version=False)
		self.assertEqual(versions("Customer", customer), erp_before + 2)


class TestContactSync(ERPNextCase):
	def paired_customer(self, label: str):
		profile = make_customer(f"{label} {TAG}", ignore_permissions=True)
		profile.reload()
		return profile

	def test_crm_to_contact_rows_primary_flags_and_customer_link(self):
		profile = self.paired_customer("Rows")
		crm = crm_contact(
			profile.name,
			f"Rowan{TAG}",
			emails=(f"rowan.{TAG}@example.com", f"r2.{TAG}@example.com"),
			phones=("+14155550101", "+14155550102"),
			job_title="CFO",
		)
		crm.reload()
		contact = frappe.get_doc("Contact", crm.frappe_contact)
		self.assertEqual(contact.designation, "CFO")
		self.assertEqual(contact.email_id, f"rowan.{TAG}@example.com")
		self.assertEqual(contact.mobile_no, "+14155550101")
		self.assertEqual(
			[(link.link_doctype, link.link_name) for link in contact.links],
			[("Customer", profile.erpnext_customer)],
		)
		self.assertEqual(contact.is_primary_contact, 1)  # the first contact of a customer is its primary
		# the primary email moves in the CRM
		crm.emails[0].is_primary, crm.emails[1].is_primary = 0, 1
		crm.save()
		contact.reload()
		self.assertEqual(contact.email_id, f"r2.{TAG}@example.com")
		self.assertEqual({r.email_id: r.is_primary for r in contact.email_ids}[f"r2.{TAG}@example.com"], 1)

	def test_contact_to_crm_phone_change_and_delete(self):
		profile = self.paired_customer("Phone")
		crm = crm_contact(profile.name, f"Pia{TAG}", phones=("+14155550111",))
		crm.reload()
		contact = frappe.get_doc("Contact", crm.frappe_contact)
		crm_before = versions(constants.CONTACT, crm.name)
		contact.phone_nos[0].phone = "+14155550199"
		contact.save(ignore_version=False)
		saved = frappe.db.get_value("Contact", contact.name, "modified")
		crm.reload()
		self.assertEqual(crm.phone, "+14155550199")
		self.assertEqual([r.phone for r in crm.phones], ["+14155550199"])
		# no echo: one version on the CRM side (Frappe's Contact keeps no versions: its `modified` shows
		# nothing was written back after the user's save)
		self.assertEqual(versions(constants.CONTACT, crm.name), crm_before + 1)
		self.assertEqual(frappe.db.get_value("Contact", contact.name, "modified"), saved)
		frappe.delete_doc("Contact", contact.name, ignore_permissions=True)
		self.assertFalse(frappe.db.exists(constants.CONTACT, crm.name))

	def test_contact_made_in_erpnext_becomes_a_crm_contact(self):
		profile = self.paired_customer("Made")
		contact = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": f"Ezra{TAG}",
				"links": [{"link_doctype": "Customer", "link_name": profile.erpnext_customer}],
				"email_ids": [{"email_id": f"ezra.{TAG}@example.com", "is_primary": 1}],
			}
		).insert(ignore_permissions=True)
		crm = frappe.db.get_value(
			constants.CONTACT, {"frappe_contact": contact.name}, ["customer", "first_name", "email_id"]
		)
		self.assertEqual(crm, (profile.name, f"Ezra{TAG}", f"ezra.{TAG}@example.com"))

	def test_conflict_later_modified_wins_field_by_field(self):
		profile = self.paired_customer("Conflict")
		crm = crm_contact(profile.name, f"Cora{TAG}", job_title="CTO", last_name="Old")
		crm.reload()
		contact_name = crm.frappe_contact
		# both sides edited before either sync ran: the CRM at 10:00 (job title, last name), ERPNext at
		# 10:05 (designation only)
		frappe.db.set_value(
			constants.CONTACT,
			crm.name,
			{"job_title": "CEO", "last_name": "New", "modified": "2030-01-01 10:00:00"},
			update_modified=False,
		)
		frappe.db.set_value(
			"Contact",
			contact_name,
			{"designation": "COO", "modified": "2030-01-01 10:05:00"},
			update_modified=False,
		)
		erp_sync.run(constants.CONTACT, crm.name)
		self.assertEqual(
			frappe.db.get_value(constants.CONTACT, crm.name, ["job_title", "last_name"]), ("COO", "New")
		)
		self.assertEqual(
			frappe.db.get_value("Contact", contact_name, ["designation", "last_name"]), ("COO", "New")
		)

	def test_failing_sync_keeps_the_save_and_is_listed_then_retried(self):
		profile = self.paired_customer("Fails")
		with patch.object(
			contact_mirror, "create_contact", side_effect=frappe.ValidationError("ERPNext says no")
		):
			crm = crm_contact(profile.name, f"Fay{TAG}")
		self.assertTrue(frappe.db.exists(constants.CONTACT, crm.name))
		issue = frappe.get_all(
			constants.SYNC_ISSUE,
			filters={"record_doctype": constants.CONTACT, "record_name": crm.name},
			fields=["status", "other_doctype", "error", "attempts", "error_log"],
		)
		self.assertEqual(len(issue), 1)
		self.assertEqual((issue[0].status, issue[0].other_doctype, issue[0].attempts), ("Open", "Contact", 1))
		self.assertIn("ERPNext says no", issue[0].error)
		title = frappe.db.get_value("Error Log", issue[0].error_log, "method")
		self.assertIn(crm.name, title)
		self.assertIn("Contact", title)
		erp_sync.retry_issues()
		self.assertEqual(
			frappe.db.get_value(constants.SYNC_ISSUE, {"record_name": crm.name}, "status"), "Resolved"
		)
		self.assertTrue(frappe.db.get_value(constants.CONTACT, crm.name, "frappe_contact"))


class TestBackfill(ERPNextCase):
	def test_pairs_creates_and_reports(self):
		frappe.flags.crm_sync_test = False  # records made before the sync was on
		scope = f"Bf{TAG}"
		by_name = make_customer(f"{scope} Alpha", ignore_permissions=True).name
		alpha = frappe.get_doc({"doctype": "Customer", "customer_name": f"{scope} alpha"}).insert().name
		crm_only = make_customer(f"{scope} Beta", ignore_permissions=True).name
		erp_only = frappe.get_doc({"doctype": "Customer", "customer_name": f"{scope} Gamma"}).insert().name
		twice = make_customer(f"{scope} Delta", ignore_permissions=True).name
		for _ in range(2):
			frappe.get_doc({"doctype": "Customer", "customer_name": f"{scope} Delta"}).insert()
		contact = crm_contact(by_name, f"{scope}Carl", emails=(f"carl.{TAG}@example.com",)).name
		frappe.flags.crm_sync_test = True
		report = erp_backfill.backfill(commit=False, scope=scope)
		self.assertEqual(frappe.db.get_value(constants.CUSTOMER, by_name, "erpnext_customer"), alpha)
		made = frappe.db.get_value(constants.CUSTOMER, crm_only, "erpnext_customer")
		self.assertEqual(frappe.db.get_value("Customer", made, "customer_name"), f"{scope} Beta")
		self.assertTrue(frappe.db.exists(constants.CUSTOMER, {"erpnext_customer": erp_only}))
		self.assertFalse(frappe.db.get_value(constants.CUSTOMER, twice, "erpnext_customer"))
		self.assertEqual(report.paired["customers"].get("name"), 1)
		self.assertEqual(report.created["customers"], {"crm": 1, "erp": 1})
		self.assertEqual(
			sorted(name for kind, doctype, name, _ in report.unpaired if doctype == constants.CUSTOMER),
			[twice],
		)
		self.assertEqual(len([u for u in report.unpaired if u[1] == "Customer"]), 2)
		self.assertEqual(report.created["contacts"]["erp"], 1)
		self.assertTrue(frappe.db.get_value(constants.CONTACT, contact, "frappe_contact"))
		self.assertIn("not paired: 3", report.as_text())


class TestBulkCreation(ERPNextCase):
	"""The backfill's set-based creation (`erp_bulk`) stores what the live sync's ORM insert stores."""

	SKIP = {"name", "creation", "modified"}

	def pair(self, label: str):
		"""Two identical CRM customers with one identical contact each, made before the sync was on."""
		frappe.flags.crm_sync_test = False
		made = []
		for _ in range(2):
			profile = make_customer(
				f"{label} {TAG}",
				ignore_permissions=True,
				website="https://bulk.example.com",
				customer_type="Individual",
				account_owner="Administrator",
			)
			contact = crm_contact(
				profile.name,
				f"{label}{TAG}",
				emails=(f"b1.{label}.{TAG}@example.com", f"b2.{label}.{TAG}@example.com"),
				phones=("+14155550301",),
				last_name="Bulk",
				job_title="Buyer",
			)
			contact.append("phones", {"phone": "+14155550302", "phone_type": "Office"})
			contact.save(ignore_permissions=True)
			made.append((profile.name, contact.name))
		frappe.flags.crm_sync_test = True
		(orm_profile, orm_contact), (bulk_profile, bulk_contact) = made
		erp_sync.run(constants.CUSTOMER, orm_profile)
		erp_sync.run(constants.CONTACT, orm_contact)
		report = rules.BackfillReport()
		self.assertEqual(erp_bulk.create_erp_customers([bulk_profile], report, commit=False), 1)
		self.assertEqual(erp_bulk.create_frappe_contacts([bulk_contact], report, True, commit=False), 1)
		self.assertEqual(report.unpaired, [])
		return made

	def fields(self, doctype: str, name: str) -> dict:
		doc = frappe.get_doc(doctype, name).as_dict(no_default_fields=False)
		return {
			k: v
			for k, v in doc.items()
			if k not in self.SKIP and not k.startswith("_") and not isinstance(v, list)
		}

	def assert_same_records(self, made) -> tuple[str, str]:
		(orm_profile, orm_contact), (bulk_profile, bulk_contact) = made
		orm_customer = frappe.db.get_value(constants.CUSTOMER, orm_profile, "erpnext_customer")
		bulk_customer = frappe.db.get_value(constants.CUSTOMER, bulk_profile, "erpnext_customer")
		self.assertTrue(bulk_customer)
		self.assertEqual(self.fields("Customer", bulk_customer), self.fields("Customer", orm_customer))
		self.assertEqual(
			(
				self.fields("Customer", bulk_customer)["customer_group"],
				self.fields("Customer", bulk_customer)["territory"],
			),
			(
				frappe.db.get_single_value("Selling Settings", "customer_group") or "All Customer Groups",
				frappe.db.get_single_value("Selling Settings", "territory") or "All Territories",
			),
		)
		orm_contact_name = frappe.db.get_value(constants.CONTACT, orm_contact, "frappe_contact")
		bulk_contact_name = frappe.db.get_value(constants.CONTACT, bulk_contact, "frappe_contact")
		bulk_doc, orm_doc = (
			frappe.get_doc("Contact", bulk_contact_name),
			frappe.get_doc("Contact", orm_contact_name),
		)
		self.assertEqual(self.fields("Contact", bulk_contact_name), self.fields("Contact", orm_contact_name))
		self.assertEqual(
			[(r.email_id, r.is_primary) for r in bulk_doc.email_ids],
			[(r.email_id, r.is_primary) for r in orm_doc.email_ids],
		)
		self.assertEqual(
			[(r.phone, r.is_primary_phone, r.is_primary_mobile_no) for r in bulk_doc.phone_nos],
			[(r.phone, r.is_primary_phone, r.is_primary_mobile_no) for r in orm_doc.phone_nos],
		)
		self.assertEqual(
			[(l.link_doctype, l.link_name, l.link_title) for l in bulk_doc.links],
			[("Customer", bulk_customer, orm_doc.links[0].link_title)],
		)
		self.assertEqual(
			(bulk_doc.email_id, bulk_doc.mobile_no, bulk_doc.phone, bulk_doc.designation),
			(
				f"b1.{bulk_doc.first_name[: -len(TAG)]}.{TAG}@example.com",
				"+14155550301",
				"",  # the office number is not the primary one
				"Buyer",
			),
		)
		# the merge bases are the same too: the live sync sees nothing to do on either pair
		for doctype, orm, new in (
			(constants.CUSTOMER, orm_profile, bulk_profile),
			(constants.CONTACT, orm_contact, bulk_contact),
		):
			self.assertEqual(
				frappe.db.get_value(doctype, new, "erp_sync_state"),
				frappe.db.get_value(doctype, orm, "erp_sync_state"),
			)
		self.assertEqual(bulk_doc.name, f"{orm_doc.full_name}-{bulk_customer}")
		return bulk_customer, bulk_contact_name

	def test_named_by_customer_name_equal_to_orm_and_synced_live_afterwards(self):
		made = self.pair("Bulkname")
		bulk_customer, bulk_contact_name = self.assert_same_records(made)
		orm_customer = frappe.db.get_value(constants.CUSTOMER, made[0][0], "erpnext_customer")
		self.assertEqual((orm_customer, bulk_customer), (f"Bulkname {TAG}", f"Bulkname {TAG} - 1"))
		# the live sync works on them: ERPNext -> CRM for the customer, CRM -> Contact for the phone
		(_, _), (bulk_profile, bulk_contact) = made
		customer = frappe.get_doc("Customer", bulk_customer)
		customer.website = "https://changed.example.com"
		customer.save()
		self.assertEqual(
			frappe.db.get_value(constants.CUSTOMER, bulk_profile, "website"), "https://changed.example.com"
		)
		crm = frappe.get_doc(constants.CONTACT, bulk_contact)
		crm.phones[0].phone = "+14155550399"
		crm.save()
		self.assertEqual(frappe.db.get_value("Contact", bulk_contact_name, "mobile_no"), "+14155550399")

	def test_named_by_naming_series_equal_to_orm(self):
		original = frappe.defaults.get_global_default

		def naming(key, *args, **kwargs):
			return "Naming Series" if key == "cust_master_name" else original(key, *args, **kwargs)

		with patch.object(frappe.defaults, "get_global_default", side_effect=naming):
			made = self.pair("Bulkseries")
		bulk_customer, _ = self.assert_same_records(made)
		orm_customer = frappe.db.get_value(constants.CUSTOMER, made[0][0], "erpnext_customer")
		prefix, number = orm_customer[:-5], int(orm_customer[-5:])
		self.assertEqual(prefix, f"CUST-{frappe.utils.nowdate()[:4]}-")
		self.assertEqual(bulk_customer, f"{prefix}{number + 1:05d}")
		series = frappe.qb.DocType("Series")
		current = frappe.qb.from_(series).select(series.current).where(series.name == prefix).run()
		self.assertEqual(current[0][0], number + 1)
