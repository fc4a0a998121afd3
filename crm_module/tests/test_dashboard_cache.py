"""Scoped dashboard invalidation (`crm_module.services.reporting.cache`): a write drops only the cached figures
it can change (the users who reach the record, their team leads, the managers), counted by how often the
figures are computed rather than read from the cache.

Rep A is a member of lead L's team; rep B is on no team; M is a CRM Manager. Every test warms the four
dashboards first. The generations live under a key of their own per test, so that other test runs on a shared
site (whose team changes and bulk jobs renew every generation) cannot turn a hit into a miss here.
"""

from contextlib import contextmanager
from unittest.mock import patch

import frappe
from frappe.desk.form import assign_to

from crm_module import constants
from crm_module.services.reporting import cache as metrics_cache
from crm_module.services.reporting import metrics
from crm_module.tests.api_case import CRMAPITestCase
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import (
	as_user,
	make_customer,
	make_interaction,
	make_lead,
	make_opportunity,
	make_team,
	make_user,
)

TEAM = "Dashboard Cache Team"


class TestScopedInvalidation(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.a = make_user("crm.dcache.a@example.com")
		cls.b = make_user("crm.dcache.b@example.com")
		cls.lead = make_user("crm.dcache.lead@example.com")
		cls.mgr = make_user("crm.dcache.mgr@example.com", (constants.ROLE_MANAGER,))
		cls.newcomer = make_user("crm.dcache.c@example.com")
		if frappe.db.exists(constants.SALES_TEAM, TEAM):  # left by an interrupted run
			frappe.delete_doc(constants.SALES_TEAM, TEAM, force=True, ignore_permissions=True)
		make_team(TEAM, cls.lead, members=[cls.a])
		frappe.db.commit()  # users and the team are read through caches other processes share
		with as_user(cls.a):
			cls.customer_a = make_customer("Dashboard Cache A").name
			make_opportunity(cls.customer_a, "DC deal A", 1000)
		with as_user(cls.b):
			cls.customer_b = make_customer("Dashboard Cache B").name
			make_opportunity(cls.customer_b, "DC deal B", 2000)

	@classmethod
	def tearDownClass(cls):
		frappe.db.rollback()
		frappe.delete_doc(constants.SALES_TEAM, TEAM, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def setUp(self):
		key = f"crm_module:dash_gen_test_{frappe.generate_hash(length=8)}"
		patcher = patch.object(metrics_cache, "GENERATION_KEY", key)
		patcher.start()
		self.addCleanup(patcher.stop)
		# `frappe.clear_cache()` (any test run or migrate on a shared site) deletes every key of the site
		self.canary = f"{key}:canary"
		frappe.cache.set_value(self.canary, 1, expires_in_sec=600)
		self.before = self.read_all()  # warm

	@contextmanager
	def computed(self):
		"""Yield {figure: [user, ...]} of the cached figures computed (not read from the cache) in the block."""
		with (
			patch.object(metrics, "compute_figures", wraps=metrics.compute_figures) as figures,
			patch.object(
				metrics, "compute_recent_interactions", wraps=metrics.compute_recent_interactions
			) as recent,
		):
			calls = {}
			yield calls
		calls["dashboard"] = sorted(call.args[0] for call in figures.call_args_list)
		calls["recent_interactions"] = sorted(call.args[0] for call in recent.call_args_list)
		self.skip_if_cleared()

	def skip_if_cleared(self):
		if not frappe.cache.exists(self.canary):
			self.skipTest("another process cleared the site's whole cache during the test")

	def read_all(self) -> dict[str, dict]:
		return {user: metrics.get_dashboard(user) for user in (self.a, self.b, self.lead, self.mgr)}

	@staticmethod
	def open_deals(figures: dict, user: str) -> int:
		return figures[user]["open_opportunities"]

	def test_warm_dashboards_are_not_computed_again(self):
		with self.computed() as calls:
			self.read_all()
		self.assertEqual(calls, {"dashboard": [], "recent_interactions": []})

	def test_a_write_drops_the_reps_the_leads_and_the_managers_figures_only(self):
		with as_user(self.a):
			make_opportunity(self.customer_a, "DC second deal", 500)
		with self.computed() as calls:
			figures = self.read_all()
		# B's figures stay cached; an opportunity changes no interaction list
		self.assertEqual(
			calls, {"dashboard": sorted([self.a, self.lead, self.mgr]), "recent_interactions": []}
		)
		for user, added in ((self.a, 1), (self.lead, 1), (self.mgr, 1), (self.b, 0)):  # the lead through A
			self.assertEqual(self.open_deals(figures, user), self.open_deals(self.before, user) + added, user)

	def test_an_interaction_drops_only_the_latest_interactions(self):
		with as_user(self.a):
			make_interaction(self.customer_a, "DC call")
		with self.computed() as calls:
			figures = self.read_all()
		self.assertEqual(
			calls, {"dashboard": [], "recent_interactions": sorted([self.a, self.lead, self.mgr])}
		)
		for user in (self.a, self.lead):
			self.assertEqual(figures[user]["recent_interactions"][0]["subject"], "DC call", user)
		self.assertEqual(figures[self.b]["recent_interactions"], self.before[self.b]["recent_interactions"])

	def test_an_owner_change_drops_the_old_and_the_new_owner(self):
		with as_user(self.a):
			customer = make_customer("Dashboard Cache Handover").name
		before = self.read_all()
		customer_doc = frappe.get_doc(constants.CUSTOMER, customer)
		customer_doc.account_owner = self.b
		customer_doc.save(ignore_permissions=True)
		with self.computed() as calls:
			after = self.read_all()
		# what hangs off the customer moves with it: both parts of every dashboard that saw either owner
		everyone = sorted([self.a, self.b, self.lead, self.mgr])
		self.assertEqual(calls, {"dashboard": everyone, "recent_interactions": everyone})
		for user, moved in ((self.a, -1), (self.lead, -1), (self.b, 1), (self.mgr, 0)):
			self.assertEqual(after[user]["total_customers"], before[user]["total_customers"] + moved, user)

	def test_an_owner_change_of_a_lead_without_any_other_reach(self):
		with as_user(self.b):
			lead = make_lead("DC lead of B", source="Website").name
		before = self.read_all()
		lead_doc = frappe.get_doc(constants.LEAD, lead)
		lead_doc.lead_owner = self.a
		lead_doc.save(ignore_permissions=True)
		with self.computed() as calls:
			after = self.read_all()
		self.assertEqual(calls["dashboard"], sorted([self.a, self.b, self.lead, self.mgr]))
		self.assertEqual(after[self.a]["active_leads"], before[self.a]["active_leads"] + 1)
		self.assertEqual(after[self.b]["active_leads"], before[self.b]["active_leads"] - 1)

	def test_an_assignment_drops_the_assignee_and_their_lead(self):
		assign_to.add(
			{"assign_to": [self.a], "doctype": constants.CUSTOMER, "name": self.customer_b},
			ignore_permissions=True,
		)
		with self.computed() as calls:
			figures = self.read_all()
		# B still reaches the customer and the managers count it anyway: their figures did not change
		self.assertEqual(calls["dashboard"], sorted([self.a, self.lead]))
		self.assertEqual(calls["recent_interactions"], sorted([self.a, self.lead]))
		# B's deal, through the assigned customer
		self.assertEqual(self.open_deals(figures, self.a), self.open_deals(self.before, self.a) + 1)

	def test_a_team_change_drops_everything(self):
		team = frappe.get_doc(constants.SALES_TEAM, TEAM)
		team.append("members", {"user": self.newcomer})
		team.save(ignore_permissions=True)
		with self.computed() as calls:
			self.read_all()
		everyone = sorted([self.a, self.b, self.lead, self.mgr])
		self.assertEqual(calls, {"dashboard": everyone, "recent_interactions": everyone})

	def test_figures_computed_while_a_write_renewed_their_generation_are_not_stored(self):
		metrics_cache.invalidate_users({self.a})
		original = metrics.compute_figures
		writes = []

		def racing(*args):
			value = original(*args)
			if not writes:  # a write the computation may have missed lands before it is stored
				writes.append(1)
				metrics_cache.invalidate_users({self.a})
			return value

		with patch.object(metrics, "compute_figures", side_effect=racing) as compute:
			metrics.get_dashboard(self.a)  # computed, not stored
			metrics.get_dashboard(self.a)  # computed again, stored
			metrics.get_dashboard(self.a)  # from the cache
		self.skip_if_cleared()
		self.assertEqual(compute.call_count, 2)


class TestFreshSnapshot(CRMAPITestCase):
	"""A GET request reads the rows committed before it read the generations, even when its transaction had
	read something before a write committed (MariaDB keeps a transaction's first snapshot)."""

	prefix = "dcache"

	def test_a_write_committed_after_the_requests_first_read_is_counted(self):
		with as_user(self.rep_a):
			lead = make_lead("DC race lead", source="Website").name
		frappe.db.commit()
		real = metrics_cache._generations
		raced = []

		def concurrent_write_first(keys, create=True):
			if not raced:
				raced.append(1)
				frappe.db.sql("select count(*) from `tabCRM Sales Lead`")  # the request's snapshot is open
				writer = frappe.database.get_db(
					host=frappe.conf.db_host,
					port=frappe.conf.db_port,
					user=frappe.conf.db_name,
					password=frappe.conf.db_password,
					cur_db_name=frappe.conf.db_name,
				)
				writer.sql("update `tabCRM Sales Lead` set `status` = 'Converted' where `name` = %s", lead)
				writer.commit()
				writer.close()
			return real(keys, create)

		with patch.object(metrics_cache, "_generations", side_effect=concurrent_write_first):
			reply = self.get("crm_module.api.dashboard.get", self.rep_a)
		self.assertOk(reply)
		self.assertEqual(raced, [1])
		self.assertEqual(
			reply.message["totalLeads"], 0
		)  # the lead was converted before the figures were read
		self.assertEqual(reply.message["conversionRate"], 100.0)
