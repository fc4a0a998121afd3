"""Frappe's Data Import for CRM doctypes, through the import engine (crm_module/services/imports/
data_import.py), and Report View's export.

Imports are started as the desk starts them (`doc.start_import()`, which runs the job at once in tests)
by a CRM Manager. The engine commits once per batch, so everything these tests import is tagged and
deleted in `tearDownClass`.
"""

import json
from unittest.mock import patch

import frappe
from frappe.utils import get_datetime, getdate, today

from crm_module import constants
from crm_module.benchmarks.imports import (
	csv_text,
	export_csv,
	failed_rows,
	imported_names,
	remove,
	remove_records,
)
from crm_module.services.imports import data_import as door
from crm_module.services.imports import writes
from crm_module.services.insights import scoring
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import as_user, manager, rep

LEAD_CONTROLLER = "crm_module.crm_module.doctype.crm_sales_lead.crm_sales_lead"
ROWS = 10_000
HEADER = ("Lead Name", "Email", "Company Name", "Source", "Status", "Lead Owner")
# file row numbers (the header is row 1) of the deliberately bad rows and the field each one is refused on
BAD = {101: "email_id", 2002: "lead_name", 5003: "status", 7004: "source"}


def access_rows(doctype: str, names: list[str]) -> int:
	if not names:
		return 0
	return frappe.db.count(constants.RECORD_ACCESS, {"record_type": doctype, "record_name": ("in", names)})


def new_import(doctype: str, content: str, file_name: str, import_type: str = "Insert New Records") -> str:
	"""A Data Import of `doctype` saved by the session user, its CSV file attached."""
	with as_user("Administrator"):
		file = frappe.get_doc(
			{"doctype": "File", "file_name": file_name, "is_private": 1, "content": content}
		).insert(ignore_permissions=True)
	doc = frappe.get_doc(
		{
			"doctype": door.DATA_IMPORT,
			"reference_doctype": doctype,
			"import_type": import_type,
			"import_file": file.file_url,
		}
	).insert()
	frappe.db.commit()
	return doc.name


def start(name: str) -> frappe._dict:
	"""Start the import as the desk does; its status and log counts."""
	frappe.get_doc(door.DATA_IMPORT, name).start_import()
	logs = frappe.get_all(
		"Data Import Log", filters={"data_import": name}, fields=["success"], pluck="success"
	)
	return frappe._dict(
		status=frappe.db.get_value(door.DATA_IMPORT, name, "status"),
		imported=sum(1 for s in logs if s),
		failed=sum(1 for s in logs if not s),
	)


class TestDataImport(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		door.ensure_permissions()  # what install and migrate do
		cls.tag = f"DIT{frappe.generate_hash(length=5).upper()}"
		cls.rep1, cls.rep2, cls.manager = rep(61), rep(62), manager()
		cls.imports: list[str] = []
		cls.customers: list[str] = []
		frappe.db.commit()
		cls.import_leads()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		remove(cls.imports)
		remove_records(constants.CUSTOMER, cls.customers)
		for doctype, field in ((constants.LEAD, "lead_name"), (constants.CONTACT, "first_name")):
			names = frappe.get_all(doctype, filters={field: ("like", f"{cls.tag}%")}, pluck="name")
			if doctype == constants.CONTACT and names:
				for table in (constants.EMAIL_ADDRESS, constants.PHONE_NUMBER):
					frappe.db.delete(table, {"parenttype": doctype, "parent": ("in", names)})
			remove_records(doctype, names)
		frappe.db.commit()
		super().tearDownClass()

	def tearDown(self):
		frappe.set_user("Administrator")

	# ------------------------------------------------------------------ the 10k lead import

	@classmethod
	def lead_row(cls, number: int) -> tuple:
		"""CSV values of file row `number` (2 = first data row)."""
		i = number - 2
		row = [
			f"{cls.tag} Lead {i}",
			f"{cls.tag.lower()}.{i}@example.com",
			f"{cls.tag} Co {i % 50}",
			("Website", "Referral", "Event")[i % 3],
			"New",
			(cls.rep1, cls.rep2, cls.manager)[i % 3],
		]
		field = BAD.get(number)
		if field == "email_id":
			row[1] = "not-an-email"
		elif field == "lead_name":
			row[0] = ""
		elif field == "status":
			row[4] = "Converted"
		elif field == "source":
			row[3] = "Carrier Pigeon"
		return tuple(row)

	@classmethod
	def import_leads(cls):
		content = csv_text(HEADER, [cls.lead_row(n) for n in range(2, ROWS + 2)])
		with (
			as_user(cls.manager),
			patch.object(scoring, "score_lead", wraps=scoring.score_lead) as cls.score_lead,
			patch(f"{LEAD_CONTROLLER}.assign_new_owner") as cls.assign_new_owner,
		):
			name = new_import(constants.LEAD, content, f"{cls.tag}-leads.csv")
			cls.imports.append(name)
			cls.result = start(name)
		cls.lead_import = name
		cls.leads = imported_names(name)

	def test_a_crm_manager_imports_and_the_bad_rows_are_reported_per_row_with_their_field(self):
		self.assertEqual(self.result.status, "Partial Success")
		self.assertEqual((self.result.imported, self.result.failed), (ROWS - len(BAD), len(BAD)))
		failures = failed_rows(self.lead_import)
		self.assertEqual(set(failures), set(BAD))
		for number, field in BAD.items():
			self.assertIn(field, failures[number], f"row {number}: {failures[number]}")
		self.assertIn("Carrier Pigeon", failures[7004])
		self.assertEqual(len(self.leads), ROWS - len(BAD))
		self.assertEqual(
			frappe.db.count(constants.LEAD, {"lead_name": ("like", f"{self.tag} Lead %")}), len(self.leads)
		)
		self.assertEqual(frappe.db.get_value(constants.LEAD, self.leads[0], "owner"), self.manager)
		# every log row names its file row, the successful ones the record
		logs = frappe.get_all(
			"Data Import Log",
			filters={"data_import": self.lead_import, "success": 1},
			fields=["row_indexes", "docname"],
			order_by="log_index",
		)
		first = frappe.db.get_value(constants.LEAD, logs[0].docname, "email_id")
		self.assertEqual((json.loads(logs[0].row_indexes), first), ([2], f"{self.tag.lower()}.0@example.com"))

	def test_nothing_of_a_refused_row_is_stored(self):
		self.assertFalse(frappe.db.exists(constants.LEAD, {"email_id": "not-an-email"}))
		for i in (2002 - 2, 5003 - 2, 7004 - 2):
			self.assertFalse(
				frappe.db.exists(constants.LEAD, {"email_id": f"{self.tag.lower()}.{i}@example.com"})
			)
		# exactly one access row, one score row per stored lead: nothing under any other name
		self.assertEqual(access_rows(constants.LEAD, self.leads), len(self.leads))
		self.assertEqual(frappe.db.count(constants.LEAD_SCORE, {"lead": ("in", self.leads)}), len(self.leads))
		access = frappe.qb.DocType(constants.RECORD_ACCESS)
		lead = frappe.qb.DocType(constants.LEAD)
		orphans = (
			frappe.qb.from_(access)
			.left_join(lead)
			.on(lead.name == access.record_name)
			.select(access.record_name)
			.where((access.record_type == constants.LEAD) & lead.name.isnull())
		).run()
		self.assertEqual(orphans, ())

	def test_scores_and_assignments_are_written_set_based_not_per_row(self):
		self.assertEqual(self.score_lead.call_count, 0)
		self.assertEqual(self.assign_new_owner.call_count, 0)
		scored = frappe.get_all(
			constants.LEAD, filters={"name": ("in", self.leads)}, fields=["scored_on", "latest_grade"]
		)
		self.assertEqual({getdate(row.scored_on) for row in scored}, {getdate(today())})
		self.assertTrue(all(row.latest_grade for row in scored))
		owned = frappe.get_all(
			constants.LEAD,
			filters={"name": ("in", self.leads), "lead_owner": self.rep1},
			fields=["name", "_assign"],
		)
		self.assertEqual(len(owned), sum(1 for n in range(2, ROWS + 2) if (n - 2) % 3 == 0 and n not in BAD))
		self.assertTrue(all(frappe.parse_json(row._assign) == [self.rep1] for row in owned))
		todos = frappe.db.count(
			"ToDo",
			{
				"reference_type": constants.LEAD,
				"reference_name": ("in", [row.name for row in owned]),
				"allocated_to": self.rep1,
				"status": "Open",
			},
		)
		self.assertEqual(todos, len(owned))
		# the manager imported them: the manager's own leads are not assigned to anyone
		mine = frappe.get_all(
			constants.LEAD, filters={"name": ("in", self.leads), "lead_owner": self.manager}, pluck="name"
		)
		self.assertEqual(frappe.db.count("ToDo", {"reference_name": ("in", mine)}), 0)

	def test_reports_export_follows_isolation(self):
		fields = ["name", "lead_name", "email_id", "lead_owner"]
		filters = [[constants.LEAD, "lead_name", "like", f"{self.tag} Lead %"]]
		everything = export_csv(constants.LEAD, fields, filters, self.manager).decode()
		self.assertEqual(len(everything.strip().splitlines()) - 1, len(self.leads))
		mine = export_csv(constants.LEAD, fields, filters, self.rep1).decode()
		lines = mine.strip().splitlines()[1:]
		own = frappe.db.count(constants.LEAD, {"name": ("in", self.leads), "lead_owner": self.rep1})
		self.assertEqual(len(lines), own)
		self.assertTrue(all(self.rep1 in line and self.rep2 not in line for line in lines))

	def test_the_same_file_again_creates_nothing(self):
		content = csv_text(HEADER, [self.lead_row(n) for n in range(2, 12)])
		with as_user(self.manager):
			name = new_import(constants.LEAD, content, f"{self.tag}-again.csv")
			self.imports.append(name)
			result = start(name)
		self.assertEqual((result.status, result.imported, result.failed), ("Success", 10, 0))
		self.assertEqual(sorted(imported_names(name)), sorted(self.leads[:10]))
		self.assertEqual(
			frappe.db.count(constants.LEAD, {"lead_name": ("like", f"{self.tag} Lead %")}), len(self.leads)
		)

	# ------------------------------------------------------------------ batches

	def test_a_failed_batch_stores_nothing_of_its_rows_and_a_retry_imports_the_rest(self):
		rows = [
			(f"{self.tag} Batch {i}", f"{self.tag.lower()}.b{i}@example.com", "", "Website", "New", self.rep2)
			for i in range(5)
		]
		original, calls = writes.after_insert, []

		def failing_second(doctype, names, *args):
			calls.append(names)
			original(doctype, names, *args)
			if len(calls) == 2:
				raise RuntimeError("disk full")

		with as_user(self.manager):
			name = new_import(constants.LEAD, csv_text(HEADER, rows), f"{self.tag}-batch.csv")
			self.imports.append(name)
			with (
				patch.object(door, "BATCH", 2),
				patch.object(writes, "after_insert", side_effect=failing_second),
			):
				result = start(name)
			self.assertEqual((result.status, result.imported, result.failed), ("Partial Success", 2, 3))
			self.assertIn("disk full", failed_rows(name)[4])
			stored = frappe.get_all(
				constants.LEAD, filters={"lead_name": ("like", f"{self.tag} Batch %")}, pluck="lead_name"
			)
			self.assertEqual(sorted(stored), [f"{self.tag} Batch 0", f"{self.tag} Batch 1"])
			second = calls[1]
			self.assertEqual(frappe.db.count("ToDo", {"reference_name": ("in", second)}), 0)
			self.assertEqual(access_rows(constants.LEAD, second), 0)
			self.assertEqual(frappe.db.count(constants.LEAD_SCORE, {"lead": ("in", second)}), 0)
			# started again: the two stored rows are skipped, the other three imported
			with patch.object(door, "BATCH", 2):
				result = start(name)
		self.assertEqual((result.status, result.imported, result.failed), ("Success", 5, 0))
		self.assertEqual(frappe.db.count(constants.LEAD, {"lead_name": ("like", f"{self.tag} Batch %")}), 5)

	# ------------------------------------------------------------------ rules and other doctypes

	def test_a_duplicate_phone_in_the_file_is_refused_by_the_guard(self):
		frappe.db.set_single_value(constants.SETTINGS, "duplicate_policy", "Block")
		frappe.db.commit()
		try:
			header = (*HEADER, "Phone")
			# this run's own, and a valid US number (its exchange code starts with 2-9)
			number = f"+1646{2_000_000 + int(frappe.generate_hash(length=6), 16) % 8_000_000}"
			rows = [(f"{self.tag} Twice {i}", "", "", "Website", "New", self.rep1, number) for i in range(2)]
			with as_user(self.manager):
				name = new_import(constants.LEAD, csv_text(header, rows), f"{self.tag}-twice.csv")
				self.imports.append(name)
				result = start(name)
		finally:
			frappe.db.set_single_value(constants.SETTINGS, "duplicate_policy", "Warn")
			frappe.db.commit()
		self.assertEqual((result.imported, result.failed), (1, 1))
		self.assertIn("duplicate", failed_rows(name)[3].lower())
		self.assertEqual(frappe.db.count(constants.LEAD, {"phone": number}), 1)

	def test_update_existing_records_changes_only_the_rows_that_differ(self):
		first, second = self.leads[:2]
		content = csv_text(
			("ID", "Source"),
			[
				(first, "Partner"),
				(second, frappe.db.get_value(constants.LEAD, second, "source")),
				("", "Event"),
			],
		)
		with as_user(self.manager):
			name = new_import(constants.LEAD, content, f"{self.tag}-update.csv", "Update Existing Records")
			self.imports.append(name)
			result = start(name)
		self.assertEqual((result.status, result.imported, result.failed), ("Partial Success", 2, 1))
		self.assertIn("name", failed_rows(name)[4])
		self.assertEqual(frappe.db.get_value(constants.LEAD, first, "source"), "Partner")

	def test_contacts_with_several_email_rows_from_the_template(self):
		customer = frappe.get_doc(
			{
				"doctype": constants.CUSTOMER,
				"company_name": f"{self.tag} Contacts",
				"account_owner": self.rep1,
			}
		).insert()
		self.customers.append(customer.name)
		frappe.db.commit()
		header = ("First Name", "Customer", "emails.email_id", "phones.phone")
		rows = [
			(f"{self.tag} Ada", customer.name, f"ada@{self.tag.lower()}.com", "+14155550142"),
			("", "", f"ada.home@{self.tag.lower()}.com", ""),
			(f"{self.tag} Bob", customer.name, f"bob@{self.tag.lower()}.com", "415"),
		]
		with as_user(self.manager):
			name = new_import(constants.CONTACT, csv_text(header, rows), f"{self.tag}-contacts.csv")
			self.imports.append(name)
			result = start(name)
		self.assertEqual((result.imported, result.failed), (1, 1))
		self.assertIn("phones.phone", failed_rows(name)[4])
		(ada,) = imported_names(name)
		emails = frappe.get_all(
			constants.EMAIL_ADDRESS, filters={"parent": ada}, pluck="email_id", order_by="idx"
		)
		self.assertEqual(emails, [f"ada@{self.tag.lower()}.com", f"ada.home@{self.tag.lower()}.com"])
		self.assertEqual(frappe.db.get_value(constants.CONTACT, ada, "is_primary"), 1)

	def test_interactions_import_with_timeline_and_last_contact_dates(self):
		customers = [
			frappe.get_doc(
				{
					"doctype": constants.CUSTOMER,
					"company_name": f"{self.tag} Cust {i}",
					"account_owner": owner,
				}
			)
			.insert()
			.name
			for i, owner in enumerate((self.rep1, self.rep2))
		]
		self.customers += customers
		contact = frappe.get_doc(
			{"doctype": constants.CONTACT, "customer": customers[0], "first_name": f"{self.tag} Cy"}
		).insert()
		other = frappe.get_doc(
			{"doctype": constants.CONTACT, "customer": customers[1], "first_name": f"{self.tag} Di"}
		).insert()
		frappe.db.commit()
		header = (
			"interaction_type",
			"subject",
			"interaction_date",
			"customer",
			"contact",
			"duration_minutes",
		)
		rows = [
			("Call", f"Call {i}", f"2026-01-{1 + i % 28:02d} 10:00:00", customers[i % 2], "", 10)
			for i in range(200)
		]
		rows[0] = ("Call", "Latest", "2026-02-10 09:30:00", customers[0], contact.name, 15)
		rows[50] = ("Call", "Negative", "2026-01-05 10:00:00", customers[0], "", -5)
		rows[60] = ("Call", "Wrong contact", "2026-01-05 10:00:00", customers[0], other.name, 5)
		with as_user(self.manager):
			name = new_import(constants.INTERACTION, csv_text(header, rows), f"{self.tag}-int.csv")
			self.imports.append(name)
			result = start(name)
		self.assertEqual((result.imported, result.failed), (198, 2))
		failures = failed_rows(name)
		self.assertIn("duration_minutes", failures[52])
		self.assertIn("contact", failures[62])

		imported = imported_names(name)
		entries = {"reference_doctype": constants.INTERACTION, "reference_name": ("in", imported)}
		self.assertEqual(frappe.db.count(constants.TIMELINE, entries), 198)
		self.assertEqual(access_rows(constants.INTERACTION, imported), 198)
		last = frappe.db.get_value(
			constants.CUSTOMER, customers[0], ["last_interaction_on", "last_activity_on"], as_dict=True
		)
		self.assertEqual(get_datetime(last.last_interaction_on), get_datetime("2026-02-10 09:30:00"))
		self.assertEqual(get_datetime(last.last_activity_on), get_datetime("2026-02-10 09:30:00"))
		self.assertEqual(
			get_datetime(frappe.db.get_value(constants.CONTACT, contact.name, "last_contacted_on")),
			get_datetime("2026-02-10 09:30:00"),
		)
		# the rep of the first customer sees its interactions' timeline entries, not the other's
		with as_user(self.rep1):
			visible = frappe.get_list(constants.TIMELINE, filters=entries, pluck="customer", limit=0)
		self.assertEqual(set(visible), {customers[0]})
		self.assertEqual(len(visible), 98)  # rows 0..199 alternate customers; two of the first's failed

	# ------------------------------------------------------------------ who may import

	def test_crm_managers_import_crm_doctypes_only_and_crm_users_not_at_all(self):
		content = csv_text(("Lead Name",), [(f"{self.tag} Nobody",)])
		with as_user(self.rep1):
			with self.assertRaises(frappe.PermissionError):
				new_import(constants.LEAD, content, f"{self.tag}-rep.csv")
			# nor can they start a manager's import (`form_start_import` checks no permission itself)
			with self.assertRaises(frappe.PermissionError):
				frappe.get_doc(door.DATA_IMPORT, self.lead_import).start_import()
		with as_user(self.manager):
			with self.assertRaises(frappe.PermissionError):
				new_import("ToDo", csv_text(("Description",), [("x",)]), f"{self.tag}-todo.csv")
			self.assertTrue(frappe.has_permission("Data Import Log", "read"))
		# a System Manager's import of another doctype stays out of the manager's list and reach
		other = frappe.get_doc(
			{"doctype": door.DATA_IMPORT, "reference_doctype": "ToDo", "import_type": "Insert New Records"}
		).insert(ignore_permissions=True)
		self.imports.append(other.name)
		frappe.db.commit()
		with as_user(self.manager):
			visible = frappe.get_list(door.DATA_IMPORT, pluck="name", limit=0)
			self.assertIn(self.lead_import, visible)
			self.assertNotIn(other.name, visible)
			self.assertFalse(frappe.has_permission(door.DATA_IMPORT, "read", doc=other.name))
