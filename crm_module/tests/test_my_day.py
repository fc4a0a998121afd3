"""My Day (`GET crm_module.api.my_day.get`, `services.sales.my_day`): whose items a user sees, the order
of follow-ups, a stuck deal read from stage history, and who may pass ``userId``."""

import frappe
from frappe.utils import add_days, get_datetime, nowdate

from crm_module import caching, constants
from crm_module.services.sales import my_day
from crm_module.tests.api_case import CRMAPITestCase
from crm_module.tests.factories import as_user, make_lead, make_opportunity, make_team, make_user

PIPELINE = "My Day Test"


class TestMyDay(CRMAPITestCase):
	prefix = "myday"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.lead_user = make_user("crm.myday.lead@example.com", (constants.ROLE_USER,))
		cls.tokens[cls.lead_user] = cls.api_token(cls.lead_user)
		make_team("My Day Team", cls.lead_user, members=[cls.rep_a])
		frappe.get_doc({"doctype": constants.PIPELINE, "pipeline_name": PIPELINE}).insert(
			ignore_permissions=True
		)
		for order, (name, probability) in enumerate((("Talk", 20), ("Offer", 60)), 1):
			frappe.get_doc(
				{
					"doctype": constants.PIPELINE_STAGE,
					"pipeline": PIPELINE,
					"stage_name": name,
					"stage_order": order,
					"probability": probability,
				}
			).insert(ignore_permissions=True)
		today = nowdate()
		with as_user(cls.rep_a):
			cls.late = cls.lead("Late Lead", add_days(today, -3))
			cls.week = cls.lead("Week Lead", add_days(today, 7))
			cls.later = cls.lead("Later Lead", add_days(today, 8))  # beyond the horizon: not listed
			cls.stuck = cls.deal("Stuck Deal", 12)
			cls.fresh = cls.deal("Fresh Deal", 3)
		with as_user(cls.rep_b):
			cls.other = cls.lead("Other Lead", add_days(today, -1))
		# history of the stage "Talk": deals spent 4 and 6 days there, a mean of 5
		for days in (4, 6):
			frappe.get_doc(
				{
					"doctype": constants.DEAL_STAGE,
					"opportunity": cls.fresh,
					"from_stage": f"Talk - {PIPELINE}",
					"to_stage": f"Offer - {PIPELINE}",
					"moved_on": get_datetime(),
					"days_in_previous_stage": days,
				}
			).insert(ignore_permissions=True)
		frappe.db.commit()

	@classmethod
	def lead(cls, name: str, follow_up: str) -> str:
		doc = make_lead(name, company_name=f"{name} Ltd")
		values = {"follow_up_date": follow_up, "latest_grade": "", "conversion_probability": 40}
		frappe.db.set_value(constants.LEAD, doc.name, values, update_modified=False)  # not hot, 40 %
		return doc.name

	@classmethod
	def deal(cls, name: str, days_in_stage: int) -> str:
		doc = make_opportunity(
			cls.customer_a, name, value=100_000, stage=f"Talk - {PIPELINE}", pipeline=PIPELINE
		)
		frappe.db.set_value(
			constants.OPPORTUNITY,
			doc.name,
			"stage_changed_on",
			add_days(get_datetime(), -days_in_stage),
			update_modified=False,
		)
		# a next step after the horizon: the deal has one, and it is not an item of its own
		frappe.get_doc(
			{
				"doctype": constants.INTERACTION,
				"interaction_type": "Call",
				"subject": f"{name} call",
				"customer": cls.customer_a,
				"opportunity": doc.name,
				"next_step": "Send the offer",
				"next_step_date": add_days(nowdate(), 10),
			}
		).insert()
		return doc.name

	def setUp(self):
		caching.drop(my_day.STATS_KEY)

	def day(self, user: str, **params) -> dict:
		return self.assertOk(self.get("my_day.get", user, **params))

	def test_the_rep_sees_their_items_ranked(self):
		data = self.day(self.rep_a)
		found = [(item["name"], item["kind"]) for item in data["items"]]
		self.assertEqual(
			sorted(found),
			sorted(
				[
					(self.late, "follow_up_overdue"),
					(self.week, "follow_up_due"),
					(self.stuck, "deal_stuck"),
				]
			),
		)
		self.assertEqual(data["total"], 3)
		names = [name for name, _kind in found]
		self.assertLess(names.index(self.late), names.index(self.week))  # overdue above due in a week
		size = my_day.stage_stats()["deal_size"]
		scores = {item["name"]: item["score"] for item in data["items"]}
		# 0.4 x deal size x (2 + 3/10); 0.4 x deal size x (1 - 7/14); 100,000 x 20 % x (1 + (12/5 - 1)/2)
		self.assertAlmostEqual(scores[self.late], round(0.4 * size * 2.3, 2), places=1)
		self.assertAlmostEqual(scores[self.week], round(0.4 * size * 0.5, 2), places=1)
		self.assertEqual(scores[self.stuck], 34_000)

	def test_stuck_deal_from_stage_history(self):
		(item,) = [i for i in self.day(self.rep_a)["items"] if i["name"] == self.stuck]
		self.assertEqual(item["kinds"], ["deal_stuck"])
		self.assertEqual(item["action"], "move_stage")
		self.assertEqual(item["nextStage"], f"Offer - {PIPELINE}")
		self.assertEqual(item["route"], f"/app/crm-opportunity/{self.stuck}")
		self.assertEqual(
			item["reasons"],
			[
				f"12 days in stage Talk - {PIPELINE}",
				"Deals usually spend 5.0 days in a stage like this",
				"Expected value 20,000 (100,000 x 20 %)",
			],
		)

	def test_other_reps_records_stay_out(self):
		data = self.day(self.rep_b)
		self.assertEqual([(i["name"], i["kind"]) for i in data["items"]], [(self.other, "follow_up_overdue")])
		self.assertNotIn(self.other, [i["name"] for i in self.day(self.rep_a)["items"]])

	def test_user_id_for_managers_and_team_leads_only(self):
		own = self.day(self.rep_a)
		self.assertEqual(self.day(self.manager, userId=self.rep_a)["items"], own["items"])
		self.assertEqual(self.day(self.lead_user, userId=self.rep_a)["items"], own["items"])
		self.assertFails(self.get("my_day.get", self.rep_b, userId=self.rep_a), 403, "userId")
		self.assertFails(self.get("my_day.get", self.rep_a, userId=self.lead_user), 403, "userId")

	def test_a_next_step_due_today_replaces_the_older_one(self):
		# the deal's next step was after the horizon; a later call with a next step today is an item
		with as_user(self.rep_a):
			call = frappe.get_doc(
				{
					"doctype": constants.INTERACTION,
					"interaction_type": "Call",
					"subject": "Check-in",
					"customer": self.customer_a,
					"opportunity": self.fresh,
					"next_step": "Call back",
					"next_step_date": nowdate(),
				}
			).insert()
		frappe.db.commit()
		try:
			items = {i["name"]: i for i in self.day(self.rep_a)["items"]}
			self.assertEqual(items[call.name]["kind"], "next_step_due")
			self.assertEqual(
				items[call.name]["about"], {"doctype": constants.OPPORTUNITY, "name": self.fresh}
			)
			self.assertEqual(items[call.name]["reasons"], ["Next step is due today", "Next step: Call back"])
			self.assertEqual(len(items), 4)
		finally:
			frappe.delete_doc(constants.INTERACTION, call.name, ignore_permissions=True, force=True)
			frappe.db.commit()
