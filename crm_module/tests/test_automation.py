"""Automation rules on the site: each event kind, each action kind, conditions, exactly-once firing
(the log), disabled rules, managers only, and no queue rows while no rule listens."""

from unittest.mock import patch

import frappe
from frappe.utils import add_days, add_to_date, getdate, now_datetime, nowdate

from crm_module import constants
from crm_module.exceptions import CRMInputError
from crm_module.services import daily
from crm_module.services.automation import runs as automation
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import (
	as_user,
	make_customer,
	make_interaction,
	make_lead,
	make_opportunity,
	manager,
	rep,
	stage,
)

RULE = constants.AUTOMATION_RULE


class TestAutomationRules(IntegrationTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.rep, self.other, self.manager = rep(131), rep(132), manager()
		self.tag = frappe.generate_hash(length=6)  # unique per test: scopes conditions to its records
		self.rules: list[str] = []
		self.disable_other_rules()

	def tearDown(self):
		frappe.set_user("Administrator")
		for name in self.rules:
			if frappe.db.exists(RULE, name):
				frappe.delete_doc(RULE, name, ignore_permissions=True)
		automation.rules_changed()

	def disable_other_rules(self):
		frappe.db.set_value(RULE, {"enabled": 1}, "enabled", 0)
		automation.rules_changed()

	# ------------------------------------------------------------------ helpers

	def make_rule(self, event: str, action: str, conditions=(), **values) -> str:
		doc = frappe.get_doc(
			{
				"doctype": RULE,
				"rule_name": f"{event} {action} {self.tag} {len(self.rules)}",
				"event": event,
				"action": action,
				"conditions": [
					{"field": field, "operator": op, "value": value} for field, op, value in conditions
				],
				**values,
			}
		).insert()
		self.rules.append(doc.name)
		return doc.name

	def lead(self, name: str, **values) -> str:
		return make_lead(f"{name} {self.tag}", ignore_permissions=True, lead_owner=self.rep, **values).name

	def opportunity(self, name: str, **values) -> str:
		customer = make_customer(f"Cust {name} {self.tag}", ignore_permissions=True, account_owner=self.rep)
		return make_opportunity(
			customer.name, f"{name} {self.tag}", ignore_permissions=True, opportunity_owner=self.rep, **values
		).name

	def todos(self, doctype: str, name: str) -> list[dict]:
		return frappe.get_all(
			"ToDo",
			# not the assignment a lead created for its owner gets
			filters={
				"reference_type": doctype,
				"reference_name": name,
				"description": ("not like", "%was assigned to you%"),
			},
			fields=["allocated_to", "description", "date", "status"],
		)

	def logs(self, rule: str) -> list[dict]:
		return frappe.get_all(
			constants.AUTOMATION_LOG,
			filters={"rule": rule},
			fields=["reference_doctype", "reference_name", "event_key", "actions_done", "error"],
			order_by="creation asc, event_key asc",
		)

	def queue_rows(self) -> int:
		return frappe.db.count(constants.AUTOMATION_EVENT)

	# ------------------------------------------------------------------ capture

	def test_no_queue_rows_while_no_enabled_rule_listens(self):
		before = self.queue_rows()
		lead = frappe.get_doc(constants.LEAD, self.lead("Quiet"))
		lead.status = "Contacted"
		lead.save()
		self.assertEqual(self.queue_rows(), before)
		# a disabled rule does not listen either
		self.make_rule("Lead Status Changed", "Create ToDo", todo_description="x", enabled=0)
		lead.status = "Qualified"
		lead.save()
		self.assertEqual(self.queue_rows(), before)
		# a rule on another event: lead changes are still not queued
		self.make_rule("Opportunity Stage Changed", "Create ToDo", todo_description="x")
		lead.status = "Contacted"
		lead.save()
		self.assertEqual(self.queue_rows(), before)
		# once a rule listens, the change is queued (the cached set follows the rule at once)
		self.make_rule("Lead Status Changed", "Create ToDo", todo_description="x")
		lead.status = "Qualified"
		lead.save()
		self.assertEqual(self.queue_rows(), before + 1)
		row = frappe.get_all(
			constants.AUTOMATION_EVENT,
			filters={"reference_name": lead.name},
			fields=["event", "reference_doctype", "from_value", "to_value", "happened_on"],
		)
		self.assertEqual(
			[(r.event, r.reference_doctype, r.from_value, r.to_value) for r in row],
			[("Lead Status Changed", constants.LEAD, "Contacted", "Qualified")],
		)

	# ------------------------------------------------------------------ events, once per occurrence

	def test_lead_created_fires_a_todo_exactly_once(self):
		rule = self.make_rule(
			"Lead Created",
			"Create ToDo",
			[("lead_name", "like", self.tag)],
			todo_description="Call {lead_name} ({name}) from {company_name}",
			todo_days=2,
		)
		lead = self.lead("Fresh", company_name="Initech")
		automation.run_rules([rule])
		automation.run_rules([rule])  # a rerun does not fire again
		automation.run_rules()  # the daily job's step: every enabled rule
		(todo,) = self.todos(constants.LEAD, lead)
		self.assertEqual(todo.allocated_to, self.rep)
		self.assertEqual(todo.description, f"Call Fresh {self.tag} ({lead}) from Initech")
		self.assertEqual(getdate(todo.date), getdate(add_days(nowdate(), 2)))
		(log,) = self.logs(rule)
		self.assertEqual((log.reference_doctype, log.reference_name), (constants.LEAD, lead))
		self.assertTrue(log.event_key.startswith("queue:"))
		self.assertTrue(log.actions_done and not log.error)
		summary = frappe.db.get_value(RULE, rule, ["last_run_on", "last_run_summary"], as_dict=True)
		self.assertTrue(summary.last_run_on and "fired on 0" in summary.last_run_summary)

	def test_each_status_change_fires_once_and_to_value_filters(self):
		any_change = self.make_rule(
			"Lead Status Changed",
			"Create ToDo",
			[("lead_name", "like", self.tag)],
			todo_description="Status of {name} is now {status}",
		)
		to_qualified = self.make_rule(
			"Lead Status Changed",
			"Create ToDo",
			[("lead_name", "like", self.tag)],
			to_value="Qualified",
			todo_description="Qualified: {name}",
		)
		lead = frappe.get_doc(constants.LEAD, self.lead("Mover"))
		lead.status = "Contacted"
		lead.save()
		automation.run_rules([any_change, to_qualified])
		automation.run_rules([any_change, to_qualified])
		self.assertEqual(len(self.todos(constants.LEAD, lead.name)), 1)
		lead.status = "Qualified"  # a second change is a new occurrence
		lead.save()
		automation.run_rules([any_change, to_qualified])
		automation.run_rules([any_change, to_qualified])
		descriptions = sorted(t.description for t in self.todos(constants.LEAD, lead.name))
		self.assertEqual(
			descriptions,
			sorted(  # placeholders read the record when the rule fires
				[
					f"Status of {lead.name} is now Contacted",
					f"Status of {lead.name} is now Qualified",
					f"Qualified: {lead.name}",
				]
			),
		)
		self.assertEqual(len(self.logs(any_change)), 2)
		self.assertEqual(len(self.logs(to_qualified)), 1)

	def test_stage_change_adds_a_tag_set_based(self):
		tag = frappe.get_doc({"doctype": constants.TAG, "tag_name": f"Moving {self.tag}"}).insert().name
		rule = self.make_rule(
			"Opportunity Stage Changed",
			"Add Tag",
			[("opportunity_name", "like", self.tag)],
			from_value=stage("Prospecting"),
			tag=tag,
		)
		moved, other = self.opportunity("Moved"), self.opportunity("Stays")
		doc = frappe.get_doc(constants.OPPORTUNITY, moved)
		doc.stage = stage("Qualification")
		doc.save()
		automation.run_rules([rule])
		automation.run_rules([rule])
		tagged = frappe.get_all(
			constants.TAGGED_ITEM, filters={"tag": tag}, fields=["reference_doctype", "reference_name"]
		)
		self.assertEqual(
			[(t.reference_doctype, t.reference_name) for t in tagged], [(constants.OPPORTUNITY, moved)]
		)
		self.assertEqual(frappe.db.get_value(constants.TAG, tag, "usage_count"), 1)
		self.assertNotIn(other, [t.reference_name for t in tagged])

	def test_no_activity_sets_a_field_once_per_idle_spell(self):
		rule = self.make_rule(
			"Opportunity Without Activity",
			"Set Field",
			[("opportunity_name", "like", self.tag)],
			days=5,
			set_field="opportunity_type",
			set_value="Renewal",
		)
		idle, busy = self.opportunity("Idle"), self.opportunity("Busy")
		ten_days_ago = add_to_date(now_datetime(), days=-10)
		for name in (idle, busy):
			frappe.db.set_value(constants.OPPORTUNITY, name, "modified", ten_days_ago, update_modified=False)
		customer = frappe.db.get_value(constants.OPPORTUNITY, busy, "customer")
		make_interaction(
			customer,
			"recent call",
			ignore_permissions=True,
			opportunity=busy,
			interaction_date=add_to_date(now_datetime(), days=-2),
		)
		automation.run_rules([rule])
		automation.run_rules([rule])
		self.assertEqual(frappe.db.get_value(constants.OPPORTUNITY, idle, "opportunity_type"), "Renewal")
		self.assertNotEqual(frappe.db.get_value(constants.OPPORTUNITY, busy, "opportunity_type"), "Renewal")
		(log,) = self.logs(rule)
		self.assertEqual(log.event_key, f"idle:{getdate(ten_days_ago)}")
		# an interaction 7 days ago ends that spell; 7 days later without activity is a new one
		customer = frappe.db.get_value(constants.OPPORTUNITY, idle, "customer")
		make_interaction(
			customer,
			"older call",
			ignore_permissions=True,
			opportunity=idle,
			interaction_date=add_to_date(now_datetime(), days=-7),
		)
		automation.run_rules([rule])
		self.assertEqual(
			[log.event_key for log in self.logs(rule)],
			[f"idle:{getdate(ten_days_ago)}", f"idle:{getdate(add_days(nowdate(), -7))}"],
		)

	def test_closing_date_passed_notifies_one_digest_per_user(self):
		rule = self.make_rule(
			"Opportunity Closing Date Passed",
			"Notify Users",
			[("opportunity_name", "like", self.tag)],
			notify_owner=1,
			recipients=[{"user": self.manager}],
		)
		late = [self.opportunity("Late A"), self.opportunity("Late B")]
		on_time = self.opportunity("On Time")
		for name in late:
			frappe.db.set_value(constants.OPPORTUNITY, name, "expected_close_date", add_days(nowdate(), -1))
		since = now_datetime()
		automation.run_rules([rule])
		automation.run_rules([rule])

		def notifications(user):
			return frappe.get_all(
				"Notification Log",
				filters={"for_user": user, "creation": (">=", since)},
				fields=["subject", "document_type", "document_name", "email_content"],
			)

		for user in (self.rep, self.manager):
			(note,) = notifications(user)  # one digest for both deals, and none on the rerun
			self.assertIn("2 records", note.subject)
			self.assertTrue(all(name in note.subject for name in late))
			self.assertNotIn(on_time, note.subject)
		self.assertEqual(
			sorted(log.event_key for log in self.logs(rule)), [f"close:{add_days(nowdate(), -1)}"] * 2
		)
		# a moved closing date that passes again is a new occurrence
		frappe.db.set_value(constants.OPPORTUNITY, late[0], "expected_close_date", add_days(nowdate(), -3))
		automation.run_rules([rule])
		self.assertEqual(len(notifications(self.rep)), 2)
		newest = [n for n in notifications(self.rep) if "2 records" not in n.subject]
		self.assertEqual((newest[0].document_type, newest[0].document_name), (constants.OPPORTUNITY, late[0]))

	def test_health_turning_red_from_the_history_table(self):
		rule = self.make_rule(
			"Customer Health Turned Red",
			"Create ToDo",
			[("company_name", "like", self.tag)],
			todo_description="Rescue {company_name} (health {health_score})",
		)
		turned = make_customer(f"Turned {self.tag}", ignore_permissions=True, account_owner=self.rep).name
		always = make_customer(f"Always {self.tag}", ignore_permissions=True, account_owner=self.rep).name
		for customer, scores in ((turned, (90, 20)), (always, (30, 25))):
			for days_ago, score in zip((1, 0), scores, strict=True):
				frappe.get_doc(
					{
						"doctype": constants.HEALTH_SCORE,
						"customer": customer,
						"score_date": add_days(nowdate(), -days_ago),
						"health_score": score,
						"engagement_score": score,
						"activity_score": score,
						"satisfaction_score": score,
					}
				).insert(ignore_permissions=True)
		self.assertEqual(frappe.db.get_value(constants.CUSTOMER, turned, "risk_level"), "Red")
		automation.run_rules([rule])
		automation.run_rules([rule])
		(todo,) = self.todos(constants.CUSTOMER, turned)
		self.assertEqual(todo.description, f"Rescue Turned {self.tag} (health 20)")
		self.assertEqual(self.todos(constants.CUSTOMER, always), [])
		self.assertEqual([log.event_key for log in self.logs(rule)], [f"red:{nowdate()}"])

	def test_grade_change_enqueues_a_rescore(self):
		lead = self.lead("Graded")
		grades = []
		for days_ago, total in ((1, 10), (0, 95)):
			score = frappe.get_doc(
				{
					"doctype": constants.LEAD_SCORE,
					"lead": lead,
					"scoring_date": add_days(nowdate(), -days_ago),
					"engagement_score": total,
					"fit_score": total,
					"activity_score": total,
					"factors": '{"stub": 1}',
				}
			).insert(ignore_permissions=True)
			grades.append(score.grade)
		self.assertNotEqual(grades[0], grades[1])
		rule = self.make_rule(
			"Lead Grade Changed", "Re-score", [("lead_name", "like", self.tag)], to_value=grades[1]
		)
		unchanged = self.make_rule(
			"Lead Grade Changed", "Re-score", [("lead_name", "like", self.tag)], to_value=grades[0]
		)
		automation.run_rules([rule, unchanged])
		(log,) = self.logs(rule)
		self.assertEqual((log.reference_name, log.event_key), (lead, f"grade:{nowdate()}"))
		self.assertEqual(self.logs(unchanged), [])
		factors = frappe.db.get_value(
			constants.LEAD_SCORE, {"lead": lead, "scoring_date": nowdate()}, "factors"
		)
		self.assertNotIn("stub", factors)  # today's row was recomputed by the scoring service

	# ------------------------------------------------------------------ conditions and validation

	def test_conditions_filter_the_records(self):
		rule = self.make_rule(
			"Lead Created",
			"Create ToDo",
			[
				("lead_name", "like", self.tag),
				("source", "in", "Website, Referral"),
				("company_name", "is set", ""),
				("quality", "!=", "Cold"),
			],
			todo_description="{name}",
		)
		match = self.lead("Match", source="Website", company_name="Acme", quality="Hot")
		misses = [
			self.lead("Wrong Source", source="Event", company_name="Acme"),
			self.lead("No Company", source="Referral"),
			self.lead("Cold", source="Referral", company_name="Acme", quality="Cold"),
		]
		automation.run_rules([rule])
		self.assertEqual([log.reference_name for log in self.logs(rule)], [match])
		self.assertEqual(len(self.todos(constants.LEAD, match)), 1)
		for name in misses:
			self.assertEqual(self.todos(constants.LEAD, name), [])

	def test_rules_are_validated_against_the_doctype(self):
		with self.assertRaisesRegex(CRMInputError, r"Condition row 2: field budget does not exist"):
			self.make_rule(
				"Lead Created",
				"Create ToDo",
				[("status", "=", "New"), ("budget", ">", "5")],
				todo_description="x",
			)
		with self.assertRaisesRegex(CRMInputError, r"latest_score.*number"):
			self.make_rule(
				"Lead Created", "Create ToDo", [("latest_score", ">", "lots")], todo_description="x"
			)
		with self.assertRaisesRegex(CRMInputError, r"set_field: latest_grade cannot be set"):
			self.make_rule("Lead Created", "Set Field", set_field="latest_grade", set_value="A")
		with self.assertRaisesRegex(CRMInputError, r"set_field: lead_owner cannot be set"):
			self.make_rule("Lead Created", "Set Field", set_field="lead_owner", set_value=self.rep)
		with self.assertRaisesRegex(CRMInputError, r"set_value.*quality.*must be one of"):
			self.make_rule("Lead Created", "Set Field", set_field="quality", set_value="Lukewarm")
		with self.assertRaisesRegex(CRMInputError, r"unknown field placeholder \{budget\}"):
			self.make_rule("Lead Created", "Create ToDo", todo_description="{budget}")
		with self.assertRaisesRegex(CRMInputError, r"to_value.*must be one of"):
			self.make_rule("Lead Status Changed", "Create ToDo", to_value="Hot", todo_description="x")
		with self.assertRaisesRegex(CRMInputError, r"Re-score"):
			self.make_rule("Opportunity Closing Date Passed", "Re-score")
		with self.assertRaisesRegex(CRMInputError, r"Days Without Activity"):
			self.make_rule("Opportunity Without Activity", "Create ToDo", todo_description="x")
		rule = self.make_rule("Opportunity Without Activity", "Create ToDo", days=3, todo_description="x")
		self.assertEqual(frappe.db.get_value(RULE, rule, "document_type"), constants.OPPORTUNITY)

	def test_a_disabled_rule_does_nothing(self):
		rule = self.make_rule(
			"Lead Created", "Create ToDo", [("lead_name", "like", self.tag)], todo_description="{name}"
		)
		lead = self.lead("Ignored")
		frappe.db.set_value(RULE, rule, "enabled", 0)
		self.assertNotIn(rule, automation.run_rules())  # the daily job skips it
		self.assertEqual(automation.run_rules([rule])[rule], {"rule": rule, "skipped": "disabled"})
		self.assertEqual(self.todos(constants.LEAD, lead), [])
		self.assertEqual(self.logs(rule), [])

	def test_a_failing_action_is_logged_and_not_retried(self):
		rule = self.make_rule(
			"Lead Created",
			"Set Field",
			[("lead_name", "like", self.tag)],
			set_field="quality",
			set_value="Hot",
		)
		lead = self.lead("Broken")
		frappe.db.set_value(RULE, rule, "set_field", "latest_grade")  # edited behind the form's back
		automation.run_rules([rule])
		automation.run_rules([rule])
		(log,) = self.logs(rule)
		self.assertEqual(log.reference_name, lead)
		self.assertIn("latest_grade", log.error)
		self.assertFalse(frappe.db.get_value(constants.LEAD, lead, "latest_grade"))

	def test_a_deadlock_in_an_action_is_not_swallowed(self):
		"""After a deadlock the transaction is gone (no savepoint to roll back to): the run fails and runs
		again later, instead of logging the occurrence as failed and moving on."""
		rule = self.make_rule(
			"Lead Created",
			"Set Field",
			[("lead_name", "like", self.tag)],
			set_field="quality",
			set_value="Hot",
		)
		self.lead("Locked")
		with (
			patch.object(automation, "do_action", side_effect=frappe.QueryDeadlockError("deadlock")),
			self.assertRaises(frappe.QueryDeadlockError),
		):
			automation.run_rules([rule])
		self.assertEqual(self.logs(rule), [])

	# ------------------------------------------------------------------ who may

	def test_crm_users_cannot_read_create_or_run_rules(self):
		rule = self.make_rule("Lead Created", "Create ToDo", todo_description="x")
		with as_user(self.rep):
			self.assertFalse(frappe.has_permission(RULE, "read"))
			self.assertFalse(frappe.has_permission(constants.AUTOMATION_LOG, "read"))
			self.assertFalse(frappe.has_permission(constants.AUTOMATION_EVENT, "read"))
			with self.assertRaises(frappe.PermissionError):
				frappe.get_list(RULE)
			with self.assertRaises(frappe.PermissionError):
				frappe.get_doc(RULE, rule).check_permission("read")
			with self.assertRaises(frappe.PermissionError):
				frappe.get_doc(
					{
						"doctype": RULE,
						"rule_name": f"mine {self.tag}",
						"event": "Lead Created",
						"action": "Create ToDo",
						"todo_description": "x",
					}
				).insert()
			with self.assertRaises(frappe.PermissionError):
				automation.run_rule_now(rule)
		with as_user(self.manager):
			self.assertTrue(frappe.has_permission(RULE, "create"))
			self.assertIn(rule, frappe.get_list(RULE, pluck="name"))
			result = automation.run_rule_now(rule)
			self.assertTrue(result["queued"])
		self.assertTrue(frappe.db.get_value(RULE, rule, "last_run_on"))

	def test_the_daily_job_runs_the_rules_after_the_nightly_figures(self):
		names = [name for name, _step in daily.STEPS]
		self.assertEqual(daily.STEPS[names.index("automation")][1], automation.run_rules)
		for before in ("scoring", "health", "churn"):
			self.assertLess(names.index(before), names.index("automation"))
