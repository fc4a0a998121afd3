"""Import and export at scale through Frappe's own Data Import and Report View (issue 12).

The imports run synchronously through the function Frappe's background job runs
(`data_import.start_import`), which commits after every row: everything these tests import is
deleted in `tearDownClass`.
"""

from unittest.mock import patch

import frappe
from frappe.utils import get_datetime, getdate, today

from crm_module import constants
from crm_module.access import index as access_index
from crm_module.benchmarks.imports import (
	csv_text,
	export_csv,
	failed_rows,
	make_data_import,
	remove,
	remove_records,
	run_import,
)
from crm_module.services.imports import followup as import_followup
from crm_module.services.insights import scoring
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import manager, rep

LEAD_CONTROLLER = "crm_module.crm_module.doctype.crm_sales_lead.crm_sales_lead"
INTERACTION_CONTROLLER = "crm_module.crm_module.doctype.crm_interaction.crm_interaction"
ROWS = 10_000
HEADER = ("lead_name", "email_id", "company_name", "source", "status", "lead_owner")
# file row numbers (the header is row 1) of the deliberately bad rows and what their message must name
BAD = {
	101: "email",  # invalid email
	2002: "Lead Name",  # missing required field
	5003: "status",  # Converted by hand
	7004: "boom",  # fails after its insert: nothing of it may remain
}


def access_rows(doctype: str, names: list[str]) -> int:
	if not names:
		return 0
	return frappe.db.count(constants.RECORD_ACCESS, {"record_type": doctype, "record_name": ("in", names)})


class TestDataImport(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.tag = f"DIT{frappe.generate_hash(length=5).upper()}"
		cls.rep1, cls.rep2, cls.manager = rep(61), rep(62), manager()
		cls.imports: list[str] = []
		cls.customers: list[str] = []
		frappe.db.commit()  # the importer rolls back failed rows: nothing of ours may be pending then
		cls.import_leads()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		remove(cls.imports)
		remove_records(constants.CUSTOMER, cls.customers)
		frappe.db.delete(constants.LEAD, {"lead_name": ("like", f"{cls.tag}%")})
		frappe.db.commit()
		super().tearDownClass()

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
		reason = BAD.get(number)
		if reason == "email":
			row[1] = "not-an-email"
		elif reason == "Lead Name":
			row[0] = ""
		elif reason == "status":
			row[4] = "Converted"
		elif reason == "boom":
			row[0] = f"{cls.tag} Boom"
		return tuple(row)

	@classmethod
	def import_leads(cls):
		content = csv_text(HEADER, [cls.lead_row(n) for n in range(2, ROWS + 2)])
		name = make_data_import(constants.LEAD, content, f"{cls.tag}-leads.csv")
		cls.imports.append(name)
		refresh, cls.boom_names = access_index.refresh, []

		def refresh_then_fail(doctype, names, cascade=False):
			refresh(doctype, names, cascade)
			if doctype == constants.LEAD and frappe.db.get_value(doctype, names[0], "lead_name") == (
				f"{cls.tag} Boom"
			):
				cls.boom_names += names
				frappe.throw("boom: a failure after the insert")

		followup = import_followup.run
		with (
			patch.object(access_index, "refresh", side_effect=refresh_then_fail),
			patch.object(scoring, "score_lead", wraps=scoring.score_lead) as cls.score_lead,
			patch.object(scoring, "score_leads", wraps=scoring.score_leads) as cls.score_leads,
			patch(f"{LEAD_CONTROLLER}.assign_new_owner") as cls.assign_new_owner,
			patch.object(import_followup, "run", wraps=followup) as cls.followup,
		):
			cls.result = run_import(name)
		cls.lead_import = name
		cls.leads = import_followup.imported_names(name)

	def test_import_finishes_with_the_bad_rows_reported_per_row(self):
		self.assertEqual(self.result.status, "Partial Success")
		self.assertEqual(self.result.imported, ROWS - len(BAD))
		self.assertEqual(self.result.failed, len(BAD))
		failures = failed_rows(self.lead_import)
		self.assertEqual(set(failures), set(BAD))
		for number, field in BAD.items():
			self.assertIn(field.lower(), failures[number].lower(), f"row {number}: {failures[number]}")
		self.assertEqual(len(self.leads), ROWS - len(BAD))
		self.assertEqual(
			frappe.db.count(constants.LEAD, {"lead_name": ("like", f"{self.tag} Lead %")}), len(self.leads)
		)

	def test_a_failed_row_leaves_nothing_behind(self):
		self.assertTrue(self.boom_names, "the failing row reached its access index refresh")
		self.assertFalse(frappe.db.exists(constants.LEAD, {"lead_name": f"{self.tag} Boom"}))
		self.assertFalse(frappe.db.exists(constants.LEAD, {"email_id": "not-an-email"}))
		# the rolled-back row's series number went to the next row: whatever holds that name now is
		# another lead, and the index rows, assignment and score under the name are that lead's
		(boom,) = self.boom_names
		holder = frappe.db.get_value(constants.LEAD, boom, ["lead_name", "lead_owner"], as_dict=True)
		self.assertTrue(holder is None or holder.lead_name != f"{self.tag} Boom")
		self.assertEqual(access_rows(constants.LEAD, [boom]), 1 if holder else 0)
		todos = frappe.get_all("ToDo", filters={"reference_name": boom}, pluck="allocated_to")
		self.assertEqual(todos, [holder.lead_owner] if holder and holder.lead_owner else [])
		# every access index row of an imported lead points at a lead that exists
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

	def test_side_effects_ran_once_in_bulk_not_per_row(self):
		self.assertEqual(self.score_lead.call_count, 0)
		self.assertEqual(self.assign_new_owner.call_count, 0)
		self.followup.assert_called_once_with(data_import=self.lead_import)
		self.assertEqual(self.score_leads.call_count, 1)
		self.assertEqual(sorted(self.score_leads.call_args.args[0]), sorted(self.leads))
		# the follow-up's work: every imported lead scored today, with its score row
		scored = frappe.get_all(
			constants.LEAD,
			filters={"name": ("in", self.leads)},
			fields=["scored_on", "latest_grade"],
		)
		self.assertTrue(all(getdate(row.scored_on) == getdate(today()) for row in scored))
		self.assertTrue(all(row.latest_grade for row in scored))
		self.assertEqual(frappe.db.count(constants.LEAD_SCORE, {"lead": ("in", self.leads)}), len(self.leads))

	def test_leads_given_to_someone_else_are_assigned_in_bulk(self):
		owned = frappe.get_all(
			constants.LEAD,
			filters={"name": ("in", self.leads), "lead_owner": self.rep1},
			fields=["name", "_assign"],
		)
		self.assertTrue(owned)
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
		# running the follow-up again writes nothing twice
		import_followup.run(self.lead_import)
		self.assertEqual(
			frappe.db.count("ToDo", {"reference_name": ("in", [row.name for row in owned])}), len(owned)
		)
		self.assertEqual(frappe.db.count(constants.LEAD_SCORE, {"lead": ("in", self.leads)}), len(self.leads))

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

	# ------------------------------------------------------------------ smaller imports

	def test_a_duplicate_email_in_the_file_is_refused_by_the_guard(self):
		frappe.db.set_single_value(constants.SETTINGS, "duplicate_policy", "Block")
		frappe.db.commit()
		try:
			email = f"{self.tag.lower()}.twice@example.com"
			rows = [(f"{self.tag} Twice {i}", email, "", "Website", "New", self.rep1) for i in range(2)]
			name = make_data_import(constants.LEAD, csv_text(HEADER, rows), f"{self.tag}-twice.csv")
			self.imports.append(name)
			result = run_import(name)
		finally:
			frappe.db.set_single_value(constants.SETTINGS, "duplicate_policy", "Warn")
			frappe.db.commit()
		self.assertEqual((result.imported, result.failed), (1, 1))
		self.assertIn("duplicate", failed_rows(name)[3].lower())
		self.assertEqual(frappe.db.count(constants.LEAD, {"email_id": email}), 1)

	def test_a_bad_select_value_stops_the_import_before_any_row(self):
		rows = [
			(f"{self.tag} Select {i}", "", "", "Carrier Pigeon" if i else "Website", "New", "")
			for i in (0, 1)
		]
		name = make_data_import(constants.LEAD, csv_text(HEADER, rows), f"{self.tag}-select.csv")
		self.imports.append(name)
		result = run_import(name)
		self.assertEqual((result.status, result.imported, result.failed), ("Pending", 0, 0))
		warnings = frappe.parse_json(frappe.db.get_value("Data Import", name, "template_warnings"))
		self.assertTrue(any("Carrier Pigeon" in w["message"] and w.get("col") == 4 for w in warnings))
		self.assertFalse(frappe.db.exists(constants.LEAD, {"lead_name": ("like", f"{self.tag} Select%")}))

	def test_interactions_import_linked_to_customers(self):
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
			{"doctype": constants.CONTACT, "customer": customers[0], "first_name": f"{self.tag} Ada"}
		).insert()
		other = frappe.get_doc(
			{"doctype": constants.CONTACT, "customer": customers[1], "first_name": f"{self.tag} Bob"}
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
		name = make_data_import(constants.INTERACTION, csv_text(header, rows), f"{self.tag}-int.csv")
		self.imports.append(name)
		with (
			patch(f"{INTERACTION_CONTROLLER}.record_activity_timeline") as per_row_timeline,
			patch(f"{INTERACTION_CONTROLLER}.touch_customer") as per_row_touch,
			patch.object(import_followup, "enqueue_followup") as queued,
		):
			result = run_import(name)
		self.assertEqual((result.imported, result.failed), (198, 2))
		failures = failed_rows(name)
		self.assertIn("duration_minutes", failures[52])
		self.assertIn("contact", failures[62].lower())
		self.assertEqual((per_row_timeline.call_count, per_row_touch.call_count), (0, 0))
		queued.assert_called_once_with(name)

		imported = import_followup.imported_names(name)
		entries = {"reference_doctype": constants.INTERACTION, "reference_name": ("in", imported)}
		# deferred: nothing yet, but every interaction is in the access index already
		self.assertEqual(frappe.db.count(constants.TIMELINE, entries), 0)
		self.assertIsNone(frappe.db.get_value(constants.CUSTOMER, customers[0], "last_interaction_on"))
		self.assertEqual(access_rows(constants.INTERACTION, imported), 198)

		summary = import_followup.run(name)
		self.assertEqual(summary["timeline_entries"], 198)
		self.assertEqual(frappe.db.count(constants.TIMELINE, entries), 198)
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
		frappe.set_user(self.rep1)
		try:
			visible = frappe.get_list(constants.TIMELINE, filters=entries, pluck="customer", limit=0)
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(set(visible), {customers[0]})
		self.assertEqual(len(visible), 98)  # rows 0..199 alternate customers; two of the first's failed
		# a second run writes no entry twice
		self.assertEqual(import_followup.run(name)["timeline_entries"], 0)
