"""The demo company (crm_module/setup/demo.py): deterministic, idempotent, believable and removable."""

from unittest.mock import patch

import frappe
from frappe.utils import add_days, getdate, nowdate

from crm_module import constants
from crm_module.services.reporting import metrics
from crm_module.setup import demo
from crm_module.tests.compat import IntegrationTestCase

LIKE = ("like", demo.LIKE)


def snapshot() -> list[tuple]:
	"""What the demo's opportunities are (names, deals, amounts, outcomes)."""
	return [
		tuple(row)
		for row in frappe.get_all(
			constants.OPPORTUNITY,
			filters={"name": LIKE},
			fields=["name", "opportunity_name", "pipeline", "status", "value", "customer"],
			order_by="name",
			as_list=True,
		)
	]


def make():
	# the setup wizard is the site's business (a dev site runs it once), not this test's
	with patch.object(demo, "complete_setup"):
		return demo.make_demo()


class TestDemo(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.addClassCleanup(demo.remove_demo)  # never leave the demo on the test site
		cls.first = make()
		cls.first_snapshot = snapshot()
		cls.second = make()

	def test_a_second_run_leaves_the_same_data(self):
		self.assertEqual(self.first, self.second)
		self.assertEqual(self.first_snapshot, snapshot(), "same seed, same company")

	def test_it_is_a_small_company(self):
		counts = self.second
		self.assertEqual(counts["customers"], 60)
		self.assertEqual(counts["leads"], 200)
		self.assertEqual(counts["users"], 4)
		self.assertEqual(counts["targets"], 6)  # a month and a quarter per rep
		self.assertEqual(counts["territories"], 4)
		self.assertGreaterEqual(counts["opportunities"], 110)
		self.assertGreaterEqual(counts["contacts"], 100)
		self.assertGreaterEqual(counts["interactions"], 2000)
		self.assertGreaterEqual(counts["notes"], 20)
		self.assertGreaterEqual(counts["tagged items"], 50)
		reps = frappe.get_all("Has Role", filters={"parent": ("in", demo.REPS)}, pluck="role")
		self.assertEqual(set(reps), {constants.ROLE_USER})
		self.assertIn(constants.ROLE_MANAGER, frappe.get_roles(demo.MANAGER))

	def test_customers_in_every_health_state_with_a_year_of_history(self):
		risks = frappe.get_all(
			constants.CUSTOMER,
			filters={"name": LIKE, "status": "Active"},
			fields=["risk_level", "count(*) as n"],
			group_by="risk_level",
		)
		by_risk = {row.risk_level: row.n for row in risks}
		for risk in ("Green", "Yellow", "Red"):
			self.assertGreaterEqual(by_risk.get(risk, 0), 3, f"{risk} customers: {by_risk}")
		oldest = frappe.get_all(
			constants.HEALTH_SCORE, filters={"customer": LIKE}, fields=["min(score_date) as day"]
		)[0].day
		self.assertLessEqual(getdate(oldest), getdate(add_days(nowdate(), -364)))
		today = frappe.db.count(constants.HEALTH_SCORE, {"customer": LIKE, "score_date": nowdate()})
		self.assertEqual(today, 60, "the nightly job scored every demo customer today")
		moved = frappe.db.count(
			constants.HEALTH_SCORE, {"customer": LIKE, "score_date": nowdate(), "delta_30d": ("!=", 0)}
		)
		self.assertGreater(moved, 5, "health trends: scores moved over the last month")

	def test_two_pipelines_with_won_and_lost_history(self):
		rows = frappe.get_all(
			constants.OPPORTUNITY,
			filters={"name": LIKE},
			fields=["pipeline", "status", "count(*) as n", "min(actual_close_date) as closed"],
			group_by="pipeline, status",
		)
		found = {(row.pipeline, row.status): row for row in rows}
		for pipeline in (constants.DEFAULT_PIPELINE, demo.RENEWALS):
			for status in ("Won", "Lost", "Open"):
				self.assertIn((pipeline, status), found, f"{pipeline} has {status} opportunities")
			for status in ("Won", "Lost"):
				self.assertTrue(found[(pipeline, status)].closed, "closed deals carry their close date")
		unmoved = frappe.db.sql(
			f"""select count(*) from `tab{constants.OPPORTUNITY}` o where o.name like %s and not exists
			(select 1 from `tab{constants.DEAL_STAGE}` d where d.opportunity = o.name)""",
			demo.LIKE,
		)[0][0]
		self.assertEqual(unmoved, 0, "every opportunity has its stage history")

	def test_dashboard_shows_a_real_sales_cycle(self):
		for user in (demo.MANAGER, demo.REPS[0]):
			figures = metrics.compute_dashboard(user)["conversion_metrics"]
			self.assertGreater(figures["average_sales_cycle_days"], 14, user)
			self.assertGreater(figures["pipeline_velocity"], 0, user)
			self.assertTrue(0 < figures["win_rate"] < 100, user)

	def test_leads_over_every_source_status_and_grade(self):
		leads = frappe.get_all(
			constants.LEAD, filters={"name": LIKE}, fields=["status", "source", "latest_grade"]
		)
		self.assertEqual(
			{lead.status for lead in leads},
			{"New", "Contacted", "Qualified", "Unqualified", "Converted", "Lost"},
		)
		self.assertGreaterEqual(len({lead.source for lead in leads}), 8)
		self.assertEqual({lead.latest_grade for lead in leads}, {"A", "B", "C", "D"})
		history = frappe.get_all(
			constants.LEAD_SCORE,
			filters={"lead": LIKE},
			fields=["lead", "count(*) as n"],
			group_by="lead",
			order_by="n desc",
			limit=1,
		)
		self.assertGreaterEqual(history[0].n, 5, "scores over the weeks")
		converted = frappe.get_all(
			constants.LEAD,
			filters={"name": LIKE, "status": "Converted"},
			fields=["converted_customer", "converted_opportunity"],
		)
		self.assertTrue(
			converted and all(c.converted_customer and c.converted_opportunity for c in converted)
		)

	def test_follow_ups_due_today_and_overdue_are_assigned(self):
		for when in ("=", "<"):
			leads = frappe.get_all(
				constants.LEAD,
				filters=[
					["name", "like", demo.LIKE],
					["status", "in", ("New", "Contacted", "Qualified")],
					["follow_up_date", "is", "set"],  # Frappe compares a missing date as 0001-01-01
					["follow_up_date", when, nowdate()],
				],
				fields=["name", "lead_owner"],
			)
			self.assertTrue(leads, f"follow-ups {when} today")
			for lead in leads:
				self.assertTrue(
					frappe.db.exists(
						"ToDo",
						{"reference_name": lead.name, "allocated_to": lead.lead_owner, "status": "Open"},
					),
					lead,
				)

	def test_notes_tags_and_what_a_rep_sees(self):
		self.assertTrue(frappe.db.exists(constants.NOTE, {"reference_name": LIKE, "is_pinned": 1}))
		self.assertTrue(
			frappe.db.exists("Notification Log", {"for_user": demo.MANAGER, "type": "Mention"}),
			"notes @mention the manager",
		)
		for tag in frappe.get_all(
			constants.TAG, filters={"owner": demo.MANAGER}, fields=["name", "usage_count"]
		):
			self.assertEqual(tag.usage_count, frappe.db.count(constants.TAGGED_ITEM, {"tag": tag.name}))
		# rows written set-based are in the access index: a rep sees their accounts, and only those
		rep = demo.REPS[0]
		owned = frappe.db.count(constants.CUSTOMER, {"name": LIKE, "account_owner": rep})
		assigned = frappe.db.count(
			"ToDo",
			{
				"reference_type": constants.CUSTOMER,
				"reference_name": LIKE,
				"allocated_to": rep,
				"status": "Open",
			},
		)
		frappe.set_user(rep)
		try:
			seen = frappe.get_list(constants.CUSTOMER, filters={"name": LIKE}, pluck="name", limit=0)
			interactions = frappe.get_list(constants.INTERACTION, filters={"name": LIKE}, limit=5)
		finally:
			frappe.set_user("Administrator")
		self.assertTrue(owned <= len(seen) <= owned + assigned, (owned, assigned, len(seen)))
		self.assertTrue(interactions)

	def test_zz_remove_demo_removes_everything(self):
		"""Runs last (unittest orders a class's tests by name): the others read the demo."""
		counts = demo.remove_demo()
		self.assertEqual(set(counts.values()), {0}, counts)
		for doctype, field in (
			(constants.RECORD_ACCESS, "record_name"),
			("ToDo", "reference_name"),
			(constants.TIMELINE, "customer"),
			(constants.INTERACTION, "name"),
		):
			self.assertFalse(frappe.db.exists(doctype, {field: LIKE}), doctype)
		self.assertFalse(frappe.db.exists(constants.PIPELINE, demo.RENEWALS))
		self.assertFalse(frappe.db.exists("Notification Log", {"for_user": ("in", demo.USERS)}))
		self.assertFalse(frappe.db.exists("Contact", {"email_id": ("in", demo.USERS)}))
