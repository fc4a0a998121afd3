"""End to end: a lead from creation through assignment, follow-up, conversion, and two opportunities
(one won through every stage, one lost), asserting every derived record and that refused steps write
nothing. Each step of the process is a test of its own (test_01 ... test_10), so a failure names the
step that broke."""

from contextlib import contextmanager

import frappe
from frappe.utils import getdate, nowdate

from crm_module import constants
from crm_module.exceptions import CRMConflictError, StageTransitionError
from crm_module.services.conversion import convert_lead
from crm_module.services.sales.followups import create_follow_up_todos, get_overdue_follow_ups
from crm_module.services.timeline import get_activity_timeline
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
STAGES = ("Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won")


def open_todos(lead: str) -> list[dict]:
	return frappe.get_all(
		"ToDo",
		filters={"reference_type": constants.LEAD, "reference_name": lead, "status": "Open"},
		fields=["allocated_to", "date", "assignment_rule", "description"],
		order_by="creation asc",
	)


def counts() -> dict[str, int]:
	return {
		dt: frappe.db.count(dt)
		for dt in (
			constants.CUSTOMER,
			constants.CONTACT,
			constants.OPPORTUNITY,
			constants.DEAL_STAGE,
			constants.TIMELINE,
		)
	}


RULE_NAME = "CRM Test Lead Round Robin"


class TestSalesProcess(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		cls.addClassCleanup(cls.remove_rule)  # first registered, so it runs last
		cls.remove_rule()  # left over by an interrupted run
		super().setUpClass()
		cls.rep_a, cls.rep_b, cls.boss = f.rep(1), f.rep(2), f.manager()
		cls.process = {}  # what the steps made: lead, other, rep, customer, contact, opportunity
		cls.passed = set()  # the steps that passed, e.g. {"test_01", "test_02"}
		cls.rule = frappe.get_doc(
			{
				"doctype": "Assignment Rule",
				"name": RULE_NAME,
				"document_type": constants.LEAD,
				"description": "New lead {{ lead_name }}",
				"assign_condition": 'status == "New"',
				"rule": "Round Robin",
				"priority": 1,
				"users": [{"user": cls.rep_a}, {"user": cls.rep_b}],
				"assignment_days": [{"day": day} for day in WEEKDAYS],
			}
		).insert(ignore_permissions=True)

	@contextmanager
	def step(self, *needs: str):
		"""Run one step of the process: skipped when a step it builds on did not pass, recorded as passed
		when its block ends without a failure."""
		missing = [need for need in needs if need not in self.passed]
		if missing:
			self.skipTest(f"needs {', '.join(missing)}, which did not pass")
		yield
		self.passed.add("_".join(self._testMethodName.split("_")[:2]))  # e.g. "test_05"

	@classmethod
	def remove_rule(cls):
		"""Runs after the class's rollback (registered before it): the rule is committed with the
		fixtures, and a live rule would hand every later test's leads to these two reps."""
		if frappe.db.exists("Assignment Rule", RULE_NAME):
			frappe.delete_doc("Assignment Rule", RULE_NAME, ignore_permissions=True, force=True)
			frappe.db.commit()  # nosemgrep: undo what the fixtures made permanent

	# ------------------------------------------------------------------ the process, one step per test
	# The steps run in name order (test_01 ... test_10) and share what earlier steps made through
	# `process`; a step whose earlier step did not pass is skipped, naming that step.

	def test_01_new_leads_are_assigned_round_robin(self):
		with self.step():
			with f.as_user(self.boss):
				lead = f.make_lead(
					"Walter Walkthrough",
					company_name="Walkthrough Inc",
					email_id="walter@walkthrough.example.com",
					phone="+14155550161",
					source="Website",
					follow_up_date=nowdate(),
				).name
				other = f.make_lead(
					"Olga Other", company_name="Other Ltd", email_id="olga@other.example.com"
				).name
			owners = {name: frappe.db.get_value(constants.LEAD, name, "lead_owner") for name in (lead, other)}
			self.assertEqual(set(owners.values()), {self.rep_a, self.rep_b})
			for name, owner in owners.items():
				todos = open_todos(name)
				self.assertEqual(
					[(t.allocated_to, t.assignment_rule) for t in todos], [(owner, self.rule.name)]
				)
				self.assertEqual(
					frappe.db.count(
						"Notification Log", {"for_user": owner, "document_name": name, "type": "Assignment"}
					),
					1,
				)
			self.process.update(lead=lead, other=other, rep=owners[lead])

	def test_02_follow_up_reminder_is_made_once(self):
		with self.step("test_01"):
			lead = self.process["lead"]
			self.assertIn(lead, create_follow_up_todos())
			self.assertNotIn(lead, create_follow_up_todos())
			self.assertEqual(
				frappe.db.count(
					"ToDo",
					{
						"reference_name": lead,
						"date": nowdate(),
						"status": "Open",
						"assignment_rule": ("is", "not set"),
					},
				),
				1,
			)

	def test_03_lead_interaction_lands_on_the_lead_timeline(self):
		with self.step("test_01"):
			lead = self.process["lead"]
			with f.as_user(self.process["rep"]):
				f.make_interaction(lead=lead, subject="Discovery call")
			self.assertEqual(
				frappe.get_all(
					constants.TIMELINE,
					filters={"lead": lead, "activity_type": "Interaction"},
					pluck="title",
				),
				["Call: Discovery call"],
			)

	def test_04_refused_conversions_write_nothing(self):
		with self.step("test_01"):
			lead, other = self.process["lead"], self.process["other"]
			before = counts()
			frappe.db.set_value(constants.LEAD, other, {"status": "Lost", "lost_reason": "No budget"})
			with f.as_user(self.boss):
				with self.assertRaises(CRMConflictError) as ctx:
					convert_lead(other)
				self.assertIn("lost", str(ctx.exception))
				with self.assertRaises(StageTransitionError):  # the opportunity step fails: all rolled back
					convert_lead(lead, True, {"value": 10, "stage": f.stage("Closed Lost")})
			self.assertEqual(counts(), before)
			self.assertEqual(frappe.db.get_value(constants.LEAD, lead, "status"), "New")

	def test_05_assigned_rep_converts_the_lead(self):
		with self.step("test_01", "test_04"):
			lead, rep = self.process["lead"], self.process["rep"]
			with f.as_user(rep):
				result = convert_lead(
					lead, True, {"opportunity_name": "Walkthrough platform", "value": 40000}
				)
			customer = frappe.get_doc(constants.CUSTOMER, result["customer"])
			self.assertEqual(
				(
					customer.company_name,
					customer.lifecycle_stage,
					customer.source_lead,
					customer.account_owner,
				),
				("Walkthrough Inc", "Customer", lead, rep),
			)
			self.assertIsNone(result["erpnext_customer"])
			contact = frappe.get_doc(constants.CONTACT, result["contact"])
			self.assertEqual(
				(contact.first_name, contact.last_name, contact.is_primary), ("Walter", "Walkthrough", 1)
			)
			self.assertEqual([r.email_id for r in contact.emails], ["walter@walkthrough.example.com"])
			self.assertEqual([r.phone for r in contact.phones], ["+14155550161"])
			lead_doc = frappe.get_doc(constants.LEAD, lead)
			self.assertEqual(
				(
					lead_doc.status,
					lead_doc.converted_customer,
					lead_doc.converted_contact,
					lead_doc.converted_opportunity,
				),
				("Converted", customer.name, contact.name, result["opportunity"]),
			)
			self.assertEqual(getdate(lead_doc.converted_on), getdate(nowdate()))
			self.assertEqual(frappe.db.get_value(constants.OPPORTUNITY, result["opportunity"], "lead"), lead)
			self.process.update(
				customer=customer.name, contact=contact.name, opportunity=result["opportunity"]
			)

	def test_06_a_converted_lead_is_not_converted_again(self):
		with self.step("test_05"):
			before = counts()
			with f.as_user(self.process["rep"]), self.assertRaises(CRMConflictError) as ctx:
				convert_lead(self.process["lead"])
			self.assertIn("already converted", str(ctx.exception))
			self.assertEqual(counts(), before)

	def test_07_interaction_with_the_contact_updates_last_contacted(self):
		with self.step("test_05"):
			customer, contact = self.process["customer"], self.process["contact"]
			with f.as_user(self.process["rep"]):
				call = f.make_interaction(customer, "Kick-off", contact=contact)
			self.assertEqual(
				frappe.db.get_value(constants.CONTACT, contact, "last_contacted_on"), call.interaction_date
			)
			self.assertEqual(
				frappe.db.get_value(constants.CUSTOMER, customer, "last_interaction_on"),
				call.interaction_date,
			)

	def test_08_converted_opportunity_walks_every_stage_to_won(self):
		with self.step("test_05"):
			rep = self.process["rep"]
			with f.as_user(rep):
				won = frappe.get_doc(constants.OPPORTUNITY, self.process["opportunity"])
				probabilities = [won.probability_percent]
				for stage_name in STAGES[1:]:
					won.stage = f.stage(stage_name)
					won.save()
					probabilities.append(won.probability_percent)
			self.assertEqual(probabilities, [10, 25, 50, 75, 100])
			self.assertEqual((won.status, getdate(won.actual_close_date)), ("Won", getdate(nowdate())))
			moves = frappe.get_all(
				constants.DEAL_STAGE,
				filters={"opportunity": won.name},
				fields=["from_stage", "to_stage", "moved_by"],
				order_by="moved_on asc, creation asc",
			)
			self.assertEqual(
				[(m.from_stage, m.to_stage) for m in moves],
				list(zip([None, *map(f.stage, STAGES[:-1])], map(f.stage, STAGES), strict=True)),
			)
			self.assertEqual({m.moved_by for m in moves}, {rep})

	def test_09_lost_needs_a_reason(self):
		with self.step("test_05"):
			with f.as_user(self.process["rep"]):
				lost = f.make_opportunity(self.process["customer"], "Walkthrough add-on", value=5000)
				before = counts()
				lost.stage = f.stage("Closed Lost")
				with self.assertRaises(StageTransitionError) as ctx:
					lost.save()
				self.assertIn("win_loss_reason", str(ctx.exception))
				self.assertEqual(counts(), before)
				self.assertEqual(frappe.db.get_value(constants.OPPORTUNITY, lost.name, "status"), "Open")
				lost.reload()
				lost.stage, lost.win_loss_reason = f.stage("Closed Lost"), "Chose a competitor"
				lost.save()
			self.assertEqual(
				(lost.status, lost.probability_percent, float(lost.forecast_amount)), ("Lost", 0, 0.0)
			)

	def test_10_customer_timeline_tells_the_story_in_order(self):
		with self.step("test_03", "test_05", "test_07", "test_08", "test_09"):
			with f.as_user(self.process["rep"]):
				entries = get_activity_timeline(self.process["customer"], limit=100)
			self.assertEqual(
				[e.activity_type for e in entries],
				[
					"Opportunity Created",
					"Lead Converted",
					"Interaction",
					*["Stage Change"] * 3,
					"Opportunity Won",
					"Opportunity Created",
					"Opportunity Lost",
				],
			)
			dates = [e.activity_date for e in entries]
			self.assertEqual(dates, sorted(dates))
			self.assertEqual(entries[-1].metadata["reason"], "Chose a competitor")
			self.assertEqual(
				frappe.db.count(
					constants.TIMELINE,
					{
						"lead": self.process["lead"],
						"activity_type": ("in", ["Interaction", "Lead Converted"]),
					},
				),
				2,
			)

	# ------------------------------------------------------------------ other tests

	def test_overdue_follow_ups_respect_permissions(self):
		with f.as_user(self.rep_a):
			mine = f.make_lead("Overdue Olivia", follow_up_date="2020-01-01").name
			done = f.make_lead("Lost Larry", follow_up_date="2020-01-01", status="Lost").name
		with f.as_user(self.rep_b):
			theirs = f.make_lead("Overdue Oscar", follow_up_date="2020-01-02").name
		frappe.db.set_value(constants.LEAD, [mine, done], "lead_owner", self.rep_a)
		frappe.db.set_value(constants.LEAD, theirs, "lead_owner", self.rep_b)
		frappe.db.set_value(constants.LEAD, [mine, done, theirs], "_assign", None)
		with f.as_user(self.rep_a):
			names = [row.name for row in get_overdue_follow_ups()]
		self.assertIn(mine, names)
		self.assertNotIn(done, names)
		self.assertNotIn(theirs, names)
		with f.as_user(self.boss):
			names = [row.name for row in get_overdue_follow_ups()]
		self.assertIn(theirs, names)


class TestSalesRecordIsolation(IntegrationTestCase):
	"""Two CRM Users never see each other's timeline entries, notes or deal stages."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.rep_a, cls.rep_b = f.rep(1), f.rep(2)
		cls.records = {}
		for user, company in ((cls.rep_a, "Isolated A"), (cls.rep_b, "Isolated B")):
			with f.as_user(user):
				customer = f.make_customer(company).name
				opp = f.make_opportunity(customer, f"{company} deal")
				note = frappe.get_doc(
					{
						"doctype": constants.NOTE,
						"reference_doctype": constants.CUSTOMER,
						"reference_name": customer,
						"content": "secret",
					}
				).insert()
			cls.records[user] = {
				"customer": customer,
				constants.TIMELINE: frappe.get_all(
					constants.TIMELINE, filters={"customer": customer}, pluck="name"
				),
				constants.NOTE: [note.name],
				constants.DEAL_STAGE: frappe.get_all(
					constants.DEAL_STAGE, filters={"opportunity": opp.name}, pluck="name"
				),
			}

	def test_each_rep_sees_only_their_own(self):
		for me, other in ((self.rep_a, self.rep_b), (self.rep_b, self.rep_a)):
			with f.as_user(me):
				for doctype in (constants.TIMELINE, constants.NOTE, constants.DEAL_STAGE):
					own, theirs = self.records[me][doctype], self.records[other][doctype]
					self.assertTrue(own and theirs, doctype)
					visible = set(frappe.get_list(doctype, pluck="name", limit_page_length=0))
					self.assertTrue(set(own) <= visible, doctype)
					self.assertFalse(set(theirs) & visible, doctype)
					for name in theirs:
						self.assertFalse(frappe.has_permission(doctype, "read", name), f"{doctype} {name}")
				self.assertEqual(
					sorted(e.name for e in get_activity_timeline(self.records[me]["customer"])),
					sorted(self.records[me][constants.TIMELINE]),
				)
				self.assertRaises(
					frappe.PermissionError, get_activity_timeline, self.records[other]["customer"]
				)
