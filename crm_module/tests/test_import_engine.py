"""The set-based import engine (crm_module/services/imports/engine.py) against a real site.

The engine commits once per batch, so everything a test imports is tagged (`cls.tag` in names and
emails) and deleted in `tearDown`.
"""

from unittest.mock import patch

import frappe
from frappe.utils import get_datetime

from crm_module import constants
from crm_module.benchmarks.imports import remove_records
from crm_module.services.imports import engine, writes
from crm_module.services.insights import prediction, scoring
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import (
	as_user,
	make_customer,
	make_lead,
	make_territory,
	make_user,
	manager,
	rep,
	stage,
)

LEAD_SKIPPED = {"name", "creation", "modified", "modified_by", "owner", "_assign"}
SCORE_SKIPPED = {"name", "creation", "modified", "modified_by", "owner", "lead"}


def lead_names(tag: str) -> list[str]:
	return frappe.get_all(
		constants.LEAD, filters={"lead_name": ("like", f"{tag}%")}, pluck="name", order_by="name"
	)


class TestImportEngine(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.rep1, cls.rep2, cls.manager = rep(71), rep(72), manager()
		cls.outsider = make_user("import.outsider@example.com", ("Blogger",))
		frappe.db.commit()

	def setUp(self):
		frappe.set_user("Administrator")
		self.tag = f"IMP{frappe.generate_hash(length=5).upper()}"
		self.customers: list[str] = []
		self.leads: list[str] = []
		self.territories: list[str] = []

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		remove_records(constants.LEAD, lead_names(self.tag))
		interactions = frappe.get_all(
			constants.INTERACTION, filters={"subject": ("like", f"{self.tag}%")}, pluck="name"
		)
		remove_records(constants.INTERACTION, interactions)
		contacts = frappe.get_all(
			constants.CONTACT, filters={"first_name": ("like", f"{self.tag}%")}, pluck="name"
		)
		for table in (constants.EMAIL_ADDRESS, constants.PHONE_NUMBER):
			if contacts:
				frappe.db.delete(table, {"parenttype": constants.CONTACT, "parent": ("in", contacts)})
		remove_records(constants.CONTACT, contacts)
		opportunities = frappe.get_all(
			constants.OPPORTUNITY, filters={"opportunity_name": ("like", f"{self.tag}%")}, pluck="name"
		)
		if opportunities:
			frappe.db.delete(constants.DEAL_STAGE, {"opportunity": ("in", opportunities)})
		remove_records(constants.OPPORTUNITY, opportunities)
		notes = frappe.get_all(constants.NOTE, filters={"content": ("like", f"%{self.tag}%")}, pluck="name")
		if notes:
			frappe.db.delete("CRM Note Mention", {"parent": ("in", notes)})
		remove_records(constants.NOTE, notes)
		remove_records(constants.LEAD, self.leads)
		remove_records(constants.CUSTOMER, self.customers)
		for territory in self.territories:
			frappe.delete_doc(constants.TERRITORY, territory, force=True, ignore_permissions=True)
		frappe.db.commit()

	def lead(self, i: int, **values) -> dict:
		return {
			"lead_name": f"{self.tag} Lead {i}",
			"email_id": f"{self.tag.lower()}.{i}@example.com",
			"company_name": f"{self.tag} Co {i % 7}",
			"source": "Website",
			"lead_owner": self.rep1,
			**values,
		}

	def stored(self, i: int) -> dict | None:
		return frappe.db.get_value(constants.LEAD, {"lead_name": f"{self.tag} Lead {i}"}, "*", as_dict=True)

	# ------------------------------------------------------------------ refusals

	def test_each_rule_refuses_its_row_naming_row_and_field_and_stores_nothing_of_it(self):
		territory = make_territory(f"{self.tag} North").name
		self.territories.append(territory)
		frappe.db.commit()
		rows = [
			self.lead(1),
			self.lead(2, lead_name=""),
			self.lead(3, status="Open"),
			self.lead(4, email_id="not-an-email"),
			self.lead(5, phone="12"),
			self.lead(6, territory=f"{self.tag} Nowhere"),
			self.lead(7, lead_owner=self.outsider),
			self.lead(8, status="Converted"),
			self.lead(9, website="not a url"),
			self.lead(10, territory=territory, phone="(415) 555-0199"),
			self.lead(11, email_id=f"{self.tag.lower()}.10@example.com"),  # the key of row 10 again
			self.lead(12, lead_owner="nobody@example.com"),
		]
		result = engine.import_rows(constants.LEAD, rows)
		self.assertEqual(
			[(r.row, r.field) for r in result.refused],
			[
				(2, "lead_name"),
				(3, "status"),
				(4, "email_id"),
				(5, "phone"),
				(6, "territory"),
				(7, "lead_owner"),
				(8, "status"),
				(9, "website"),
				(11, "email_id"),
				(12, "lead_owner"),
			],
		)
		self.assertIn("Lead Name (lead_name) is required", result.refused[0].reason)
		self.assertIn("not-an-email", result.refused[2].reason)
		self.assertIn(f"{self.tag} Nowhere not found", result.refused[4].reason)
		self.assertEqual(len(result.created), 2)
		for i in range(3, 10):
			self.assertIsNone(self.stored(i), i)
		self.assertIn("repeats the key of row 10", result.refused[8].reason)
		self.assertIsNone(self.stored(11))
		self.assertIsNone(self.stored(12))
		stored = self.stored(10)
		self.assertEqual((stored.phone, stored.territory), ("+14155550199", territory))
		# nothing of the refused rows anywhere: only the two stored leads have access rows and scores
		names = lead_names(self.tag)
		self.assertEqual(sorted(result.created), names)
		self.assertEqual(
			frappe.db.count(constants.LEAD_SCORE, {"lead": ("in", names)}), 2, "one score row per stored lead"
		)

	def test_duplicate_guard_blocks_within_the_file_and_against_stored_records_under_block(self):
		engine.import_rows(constants.LEAD, [self.lead(1)])
		frappe.db.set_single_value(constants.SETTINGS, "duplicate_policy", "Block")
		frappe.db.commit()
		try:
			rows = [
				self.lead(2, email_id=f"{self.tag.lower()}.1@example.com"),  # a stored lead has it
				self.lead(3, phone="+14155550100"),
				self.lead(4, phone="+1 415 555 0100"),  # row 3 of the file has it
			]
			result = engine.import_rows(constants.LEAD, rows, key="name")
		finally:
			frappe.db.set_single_value(constants.SETTINGS, "duplicate_policy", "Warn")
			frappe.db.commit()
		self.assertEqual([(r.row, r.field) for r in result.refused], [(1, "email_id"), (3, "phone")])
		self.assertIn("Possible duplicate", result.refused[0].reason)
		self.assertIn("row 2 of the file", result.refused[1].reason)
		self.assertEqual(len(result.created), 1)

	# ------------------------------------------------------------------ batches

	def test_a_failing_batch_is_rolled_back_whole_and_earlier_batches_stay(self):
		rows = [self.lead(i) for i in range(5)]
		original, calls = writes.after_insert, []

		def failing_second(doctype, names, *args):
			calls.append(names)
			original(
				doctype, names, *args
			)  # the batch's records, ToDos, access rows and scores are written...
			if len(calls) == 2:
				raise RuntimeError("disk full")  # ...and then it fails

		with patch.object(writes, "after_insert", side_effect=failing_second):
			with self.assertRaises(engine.ImportInterrupted) as stopped:
				engine.import_rows(constants.LEAD, rows, batch_size=2)
		self.assertEqual(stopped.exception.batch, 2)
		first, second = calls
		self.assertEqual(stopped.exception.result.created, first)
		self.assertEqual(lead_names(self.tag), sorted(first))
		self.assertEqual(frappe.db.count(constants.LEAD_SCORE, {"lead": ("in", second)}), 0)
		self.assertEqual(
			frappe.db.count("ToDo", {"reference_type": constants.LEAD, "reference_name": ("in", second)}), 0
		)
		self.assertEqual(
			frappe.db.count(
				constants.RECORD_ACCESS, {"record_type": constants.LEAD, "record_name": ("in", second)}
			),
			0,
		)
		self.assertEqual(
			frappe.db.count(
				constants.RECORD_ACCESS, {"record_type": constants.LEAD, "record_name": ("in", first)}
			),
			2,
		)

	def test_a_batch_that_hits_a_deadlock_or_a_taken_random_name_is_run_again_whole(self):
		import pymysql

		for i, error in enumerate(
			(
				frappe.QueryDeadlockError("Deadlock found when trying to get lock"),
				pymysql.IntegrityError(1062, "Duplicate entry '1dc045cf5c' for key 'PRIMARY'"),
			)
		):
			with self.subTest(error=error):
				self.failing_once(error, [self.lead(10 * i + j) for j in range(3)])

	def failing_once(self, error: Exception, rows: list[dict]) -> None:
		original, attempts = writes.insert_batch, []

		def fail_once(spec, records, *options):
			names = original(spec, records, *options)  # written, then the database refuses the transaction
			attempts.append(names)
			if len(attempts) == 1:
				raise error
			return names

		with patch.object(writes, "insert_batch", side_effect=fail_once):
			result = engine.import_rows(constants.LEAD, rows)
		self.assertEqual(len(attempts), 2)
		self.assertEqual(attempts[0], attempts[1])  # the rolled-back names are given out again
		self.assertEqual(result.created, attempts[1])
		self.assertLessEqual(set(result.created), set(lead_names(self.tag)))  # stored once each
		self.assertEqual(frappe.db.count(constants.LEAD_SCORE, {"lead": ("in", result.created)}), 3)
		self.assertEqual(frappe.db.count("ToDo", {"reference_name": ("in", result.created)}), 3)

	# ------------------------------------------------------------------ re-runs

	def test_the_same_file_twice_creates_nothing_new(self):
		rows = [self.lead(i) for i in range(4)]
		first = engine.import_rows(constants.LEAD, rows)
		second = engine.import_rows(constants.LEAD, rows)
		self.assertEqual(len(first.created), 4)
		self.assertEqual((len(second.created), len(second.updated), len(second.refused)), (0, 0, 0))
		self.assertEqual(sorted(second.unchanged), sorted(first.created))
		self.assertEqual(len(lead_names(self.tag)), 4)

	def test_update_existing_writes_only_rows_that_differ_and_only_their_changed_fields(self):
		rows = [self.lead(i) for i in range(3)]
		created = engine.import_rows(constants.LEAD, rows).created
		before = {name: frappe.db.get_value(constants.LEAD, name, "modified") for name in created}
		rows[1] = {
			**rows[1],
			"source": "Referral",
			"lead_owner": self.rep2,
			"email_id": rows[1]["email_id"].upper(),
		}
		result = engine.import_rows(constants.LEAD, rows, update_existing=True)
		self.assertEqual((result.created, result.updated), ([], [created[1]]))
		self.assertEqual(sorted(result.unchanged), sorted([created[0], created[2]]))
		changed = frappe.db.get_value(
			constants.LEAD, created[1], ["source", "lead_owner", "email_id", "modified"], as_dict=True
		)
		self.assertEqual((changed.source, changed.lead_owner), ("Referral", self.rep2))
		self.assertEqual(changed.email_id, rows[1]["email_id"].split("@")[0] + "@example.com")
		self.assertGreater(changed.modified, before[created[1]])
		for name in (created[0], created[2]):
			self.assertEqual(frappe.db.get_value(constants.LEAD, name, "modified"), before[name])
		# the new owner is assigned and reaches the lead; the previous owner's assignment is closed
		todos = dict(
			frappe.get_all(
				"ToDo",
				filters={"reference_type": constants.LEAD, "reference_name": created[1]},
				fields=["allocated_to", "status"],
				as_list=True,
			)
		)
		self.assertEqual(todos, {self.rep1: "Cancelled", self.rep2: "Open"})
		users = frappe.get_all(
			constants.RECORD_ACCESS,
			filters={"record_type": constants.LEAD, "record_name": created[1]},
			pluck="user",
		)
		self.assertEqual(users, [self.rep2])

	def test_dry_run_writes_nothing_and_reports_what_would_happen(self):
		engine.import_rows(constants.LEAD, [self.lead(0)])
		series = frappe.db.sql("select current from tabSeries where name = 'CRM-LEAD-'")
		rows = [self.lead(0, source="Referral"), self.lead(1), self.lead(2, email_id="bad")]
		result = engine.import_rows(constants.LEAD, rows, update_existing=True, dry_run=True)
		self.assertEqual((result.to_create, result.to_update, len(result.refused)), (1, 1, 1))
		self.assertEqual((result.created, result.updated), ([], []))
		self.assertEqual(len(lead_names(self.tag)), 1)
		self.assertEqual(self.stored(0).source, "Website")
		self.assertEqual(frappe.db.sql("select current from tabSeries where name = 'CRM-LEAD-'"), series)

	# ------------------------------------------------------------------ permissions

	def test_a_crm_user_cannot_import_a_crm_manager_can(self):
		with as_user(self.rep1):
			with self.assertRaises(frappe.PermissionError):
				engine.import_rows(constants.LEAD, [self.lead(1)])
		self.assertEqual(lead_names(self.tag), [])
		with as_user(self.manager):
			result = engine.import_rows(constants.LEAD, [self.lead(1)])
		self.assertEqual(len(result.created), 1)
		self.assertEqual(frappe.db.get_value(constants.LEAD, result.created[0], "owner"), self.manager)

	# ------------------------------------------------------------------ other doctypes

	def test_interactions_contacts_and_customers(self):
		customers = engine.import_rows(
			constants.CUSTOMER,
			[
				{
					"company_name": f"{self.tag} Customer A",
					"account_owner": self.rep1,
					"email_id": f"a@{self.tag.lower()}.com",
				},
				{
					"company_name": f"{self.tag} Customer B",
					"account_owner": self.rep2,
					"satisfaction_rating": "7",
				},
				{"company_name": f"{self.tag} Customer C", "account_owner": self.rep2},
			],
		)
		self.customers = customers.created
		self.assertEqual([(r.row, r.field) for r in customers.refused], [(2, "satisfaction_rating")])
		a, c = customers.created
		contacts = engine.import_rows(
			constants.CONTACT,
			[
				{
					"first_name": f"{self.tag} Ada",
					"customer": a,
					"emails": [
						{"email_id": f"Ada@{self.tag}.com"},
						{"email_id": f"ada2@{self.tag.lower()}.com"},
					],
					"phones": [{"phone": "+1 415 555 0142", "phone_type": "Office"}],
				},
				{
					"first_name": f"{self.tag} Bob",
					"customer": a,
					"emails.email_id": f"bob@{self.tag.lower()}.com",
				},
				{"first_name": f"{self.tag} Cy", "customer": c, "is_primary": 1, "phones.phone": "415"},
			],
		)
		self.assertEqual([(r.row, r.field) for r in contacts.refused], [(3, "phones.phone")])
		ada, bob = contacts.created
		stored = frappe.db.get_value(
			constants.CONTACT, ada, ["email_id", "phone", "is_primary", "full_name"], as_dict=True
		)
		self.assertEqual(
			(stored.email_id, stored.phone, stored.is_primary, stored.full_name),
			(f"Ada@{self.tag.lower()}.com", "+14155550142", 1, f"{self.tag} Ada"),
		)
		self.assertEqual(frappe.db.get_value(constants.CONTACT, bob, "is_primary"), 0)
		self.assertEqual(frappe.db.count(constants.EMAIL_ADDRESS, {"parent": ada}), 2)
		self.assertEqual(
			frappe.get_all(
				constants.RECORD_ACCESS,
				filters={"record_type": constants.CONTACT, "record_name": ada},
				pluck="user",
			),
			[self.rep1],
		)
		interactions = engine.import_rows(
			constants.INTERACTION,
			[
				{
					"interaction_type": "Call",
					"subject": f"{self.tag} call",
					"customer": a,
					"contact": ada,
					"interaction_date": "2026-01-05 10:00:00",
				},
				{
					"interaction_type": "Email",
					"subject": f"{self.tag} wrong contact",
					"customer": c,
					"contact": ada,
				},
				{"interaction_type": "Call", "subject": f"{self.tag} no parent"},
			],
		)
		self.assertEqual([(r.row, r.field) for r in interactions.refused], [(2, "contact"), (3, "customer")])
		(call,) = interactions.created
		self.assertEqual(
			frappe.db.get_value(constants.CONTACT, ada, "last_contacted_on"),
			get_datetime("2026-01-05 10:00:00"),
		)
		self.assertEqual(
			frappe.db.get_value(constants.CUSTOMER, a, "last_interaction_on"),
			get_datetime("2026-01-05 10:00:00"),
		)
		self.assertEqual(frappe.db.count(constants.TIMELINE, {"reference_name": call, "customer": a}), 1)

	# ------------------------------------------------------------------ identity with the form path

	def test_the_same_200_leads_through_the_engine_and_form_by_form_are_identical(self):
		territory = make_territory(f"{self.tag} West", reps=(self.rep1, self.rep2)).name
		self.territories.append(territory)
		frappe.db.commit()
		rows = []
		for i in range(200):
			row = {
				"lead_name": f"  {self.tag} Lead {i} ",
				"email_id": f"{self.tag}.Lead{i}@Example.COM",
				"company_name": f"{self.tag} Company {i % 13} Inc.",
				"phone": f"(415) 555-{i:04d}" if i % 3 == 0 else None,
				"source": ("Website", "Referral", "Event", "Partner")[i % 4],
				"status": ("New", "Contacted", "Qualified", "Lost")[i % 4],
				"company_size": ("1-10", "51-200", "1000+")[i % 3],
				"industry": ("Software", "Retail")[i % 2],
				"job_title": "CTO" if i % 5 == 0 else None,
			}
			if i % 4 == 0:
				row["lead_owner"] = (self.rep1, self.rep2)[i % 8 // 4]
			elif i % 4 == 1:
				row["territory"] = territory
			rows.append(row)

		with as_user(self.manager):
			names = [frappe.get_doc({"doctype": constants.LEAD, **row}).insert().name for row in rows]
			# the form path gets scores and predictions from the nightly job; the engine at import
			scoring.score_leads(names)
			prediction.predict_leads(names)
			frappe.db.commit()
			by_form = self.snapshot(names)
			remove_records(constants.LEAD, names)
			frappe.db.commit()
			result = engine.import_rows(
				constants.LEAD, [{k: v for k, v in r.items() if v is not None} for r in rows]
			)
		self.assertEqual(result.refused, [])
		self.assertEqual(len(result.created), 200)
		by_engine = self.snapshot(result.created)
		# index rows written from memory are named as the database names those it writes itself
		renamed = frappe.db.sql(
			"""select count(*) from `tabCRM Record Access` where `record_type` = %s and `record_name` in %s
			and `name` != md5(concat_ws(char(31), `user`, `record_type`, `record_name`))""",
			(constants.LEAD, tuple(result.created)),
		)
		self.assertEqual(renamed[0][0], 0)
		self.assertEqual(len(by_form), 200)
		routed = [r["record"]["lead_owner"] for r in by_engine if r["record"]["territory"]]
		self.assertEqual(sorted(set(routed)), sorted({self.rep1, self.rep2}))
		for i, (form, engine_row) in enumerate(zip(by_form, by_engine, strict=True)):
			self.assertEqual(form, engine_row, f"row {i}")

	def snapshot(self, names: list[str]) -> list[dict]:
		out = []
		for name in names:
			record = frappe.db.get_value(constants.LEAD, name, "*", as_dict=True)
			scores = frappe.get_all(constants.LEAD_SCORE, filters={"lead": name}, fields=["*"])
			out.append(
				{
					"record": {k: v for k, v in record.items() if k not in LEAD_SKIPPED},
					"assigned": frappe.parse_json(record._assign or "[]"),
					"todos": sorted(
						frappe.get_all(
							"ToDo",
							filters={"reference_type": constants.LEAD, "reference_name": name},
							fields=["allocated_to", "status", "description", "priority", "assigned_by"],
							as_list=True,
						)
					),
					"access": sorted(
						frappe.get_all(
							constants.RECORD_ACCESS,
							filters={"record_type": constants.LEAD, "record_name": name},
							pluck="user",
						)
					),
					"timeline": frappe.db.count(constants.TIMELINE, {"lead": name}),
					"scores": [{k: v for k, v in s.items() if k not in SCORE_SKIPPED} for s in scores],
				}
			)
		return out

	# ------------------------------------------------------------------ opportunities and notes

	def test_opportunities_with_their_first_stage_row_are_the_form_path_s(self):
		customer = make_customer(f"{self.tag} Buyer", account_owner=self.rep1).name
		self.customers.append(customer)
		frappe.db.commit()
		won, lost, proposal = stage("Closed Won"), stage("Closed Lost"), stage("Proposal")
		good = [
			{"opportunity_name": f"{self.tag} Opp 0", "customer": customer, "value": 1000},
			{
				"opportunity_name": f"{self.tag} Opp 1",
				"customer": customer,
				"value": 2500.5,
				"stage": proposal,
			},
			{
				"opportunity_name": f"{self.tag} Opp 2",
				"customer": customer,
				"value": 300,
				"stage": proposal,
				"probability_percent": 65,
				"opportunity_owner": self.rep2,
			},
			{"opportunity_name": f"{self.tag} Opp 3", "customer": customer, "value": 900, "stage": won},
			{
				"opportunity_name": f"{self.tag} Opp 4",
				"customer": customer,
				"value": 50,
				"stage": lost,
				"win_loss_reason": " Price ",
			},
		]
		bad = [
			{"opportunity_name": f"{self.tag} Opp 5", "customer": customer, "value": 10, "stage": lost},
			{"opportunity_name": f"{self.tag} Opp 6", "customer": customer, "value": -1},
			{
				"opportunity_name": f"{self.tag} Opp 7",
				"customer": customer,
				"value": 1,
				"probability_percent": 120,
			},
			{"opportunity_name": f"{self.tag} Opp 8", "customer": customer, "value": 1, "stage": "Nowhere"},
			{
				"opportunity_name": f"{self.tag} Opp 9",
				"customer": customer,
				"value": 1,
				"lines.product_name": "Widget",
			},
		]
		# the form hands a won deal to ERPNext (a hand-off the engine does not do for imported history)
		handoff = frappe.db.get_single_value(constants.SETTINGS, "erpnext_won_document")
		frappe.db.set_single_value(constants.SETTINGS, "erpnext_won_document", "")
		try:
			with as_user(self.manager):
				by_form = [
					frappe.get_doc({"doctype": constants.OPPORTUNITY, **row}).insert().name for row in good
				]
				frappe.db.commit()
		finally:
			frappe.db.set_single_value(constants.SETTINGS, "erpnext_won_document", handoff)
			frappe.db.commit()
		with as_user(self.manager):
			form = self.opportunity_snapshot(by_form)
			remove_records(constants.OPPORTUNITY, by_form)
			frappe.db.delete(constants.DEAL_STAGE, {"opportunity": ("in", by_form)})
			frappe.db.commit()
			result = engine.import_rows(constants.OPPORTUNITY, good + bad)
		self.assertEqual(
			[(r.row, r.field) for r in result.refused],
			[(6, "win_loss_reason"), (7, "value"), (8, "probability_percent"), (9, "stage"), (10, "lines")],
		)
		self.assertEqual(len(result.created), 5)
		imported = self.opportunity_snapshot(result.created)
		for i, (by_hand, by_engine) in enumerate(zip(form, imported, strict=True)):
			self.assertEqual(by_hand, by_engine, f"row {i + 1}")
		self.assertEqual(
			[row["record"]["status"] for row in imported], ["Open", "Open", "Open", "Won", "Lost"]
		)
		self.assertEqual(imported[2]["record"]["probability_percent"], 65)
		self.assertEqual(imported[4]["stages"][0]["notes"], "Price")

	def opportunity_snapshot(self, names: list[str]) -> list[dict]:
		skipped = {"name", "creation", "modified", "modified_by", "stage_changed_on"}
		out = []
		for name in names:
			record = frappe.db.get_value(constants.OPPORTUNITY, name, "*", as_dict=True)
			stages = frappe.get_all(
				constants.DEAL_STAGE,
				filters={"opportunity": name},
				fields=["from_stage", "to_stage", "is_reopen", "moved_by", "days_in_previous_stage", "notes"],
			)
			timeline = frappe.get_all(
				constants.TIMELINE,
				filters={"reference_doctype": constants.OPPORTUNITY, "reference_name": name},
				fields=["activity_type", "title", "is_important", "customer", "performed_by", "metadata"],
			)
			access = frappe.get_all(
				constants.RECORD_ACCESS,
				filters={"record_type": constants.OPPORTUNITY, "record_name": name},
				pluck="user",
			)
			out.append(
				{
					"record": {k: v for k, v in record.items() if k not in skipped},
					"stages": stages,
					"timeline": [{**t, "metadata": frappe.parse_json(t.metadata)} for t in timeline],
					"access": sorted(access),
				}
			)
		return out

	def test_internal_notes_on_customers_leads_and_contacts(self):
		customer = make_customer(f"{self.tag} Noted", account_owner=self.rep1).name
		self.customers.append(customer)
		lead = make_lead(f"{self.tag} Noted Lead", ignore_permissions=True).name
		self.leads.append(lead)
		frappe.db.set_value(constants.CUSTOMER, customer, "last_activity_on", None)
		frappe.db.commit()
		rows = [
			{
				"reference_doctype": constants.CUSTOMER,
				"reference_name": customer,
				"content": f"<p>{self.tag} call back @{self.rep2} and @nobody@example.com</p>",
				"note_type": "Important",
			},
			{
				"reference_doctype": constants.LEAD,
				"reference_name": lead,
				"content": f"{self.tag} met at fair",
			},
			{"reference_doctype": constants.CUSTOMER, "reference_name": "NOPE", "content": f"{self.tag} x"},
			{"reference_doctype": "ToDo", "reference_name": "x", "content": f"{self.tag} y"},
			{"reference_doctype": constants.LEAD, "reference_name": lead, "content": ""},
		]
		result = engine.import_rows(constants.NOTE, rows)
		self.assertEqual(
			[(r.row, r.field) for r in result.refused],
			[(3, "reference_name"), (4, "reference_doctype"), (5, "content")],
		)
		on_customer, on_lead = result.created
		note = frappe.get_doc(constants.NOTE, on_customer)
		self.assertEqual(
			(note.customer, note.title),
			(customer, f"{self.tag} call back @{self.rep2} and @nobody@example.com"),
		)
		self.assertEqual([m.user for m in note.mentions], [self.rep2])
		self.assertIsNone(frappe.db.get_value(constants.NOTE, on_lead, "customer"))
		entries = frappe.get_all(
			constants.TIMELINE,
			filters={"reference_doctype": constants.NOTE, "reference_name": ("in", result.created)},
			fields=["reference_name", "activity_type", "customer", "lead", "is_important"],
			order_by="reference_name",
		)
		self.assertEqual(
			[(e.reference_name, e.activity_type, e.customer, e.lead, e.is_important) for e in entries],
			sorted([(on_customer, "Note Added", customer, None, 1), (on_lead, "Note Added", None, lead, 0)]),
		)
		self.assertIsNotNone(frappe.db.get_value(constants.CUSTOMER, customer, "last_activity_on"))
		# the form derives the same title, customer and mentions
		with as_user(self.manager):
			by_form = frappe.get_doc({"doctype": constants.NOTE, **rows[0]}).insert()
		self.assertEqual(
			(by_form.customer, by_form.title, [m.user for m in by_form.mentions]),
			(note.customer, note.title, [m.user for m in note.mentions]),
		)
		frappe.db.commit()
