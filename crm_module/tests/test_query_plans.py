"""The indexes the dashboard, lists and reports rely on are the ones MariaDB uses (read with EXPLAIN).

Timings belong to `scripts/benchmark.sh`; this only checks plans, so it holds on small data too: each
query is captured as the app runs it, then explained."""

from contextlib import contextmanager
from unittest.mock import patch

import frappe

from crm_module import constants
from crm_module.access import conditions
from crm_module.services.reporting import metrics
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import as_user, make_customer, make_interaction, make_opportunity, rep


@contextmanager
def captured():
	queries: list[str] = []
	original = frappe.db.sql

	def spy(query, values=(), *args, **kwargs):
		text = str(query)
		if text.lstrip().lower().startswith("select") and "tab" in text:
			queries.append(frappe.db.mogrify(text, values) if values else text)
		return original(query, values, *args, **kwargs)

	with patch.object(frappe.db, "sql", spy):
		yield queries


def plan(query: str) -> list[dict]:
	return frappe.db.sql(f"explain {query}", as_dict=True)


def keys_for(query: str, table: str) -> set[str]:
	return {row.key for row in plan(query) if row.table and table in row.table and row.key}


class TestQueryPlans(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.rep = rep(41)
		with as_user(cls.rep):
			customer = make_customer("Plan Co").name
			for i in range(3):
				make_opportunity(customer, f"Plan Deal {i}", 100 * (i + 1))
				make_interaction(customer, f"Plan call {i}")

	def dashboard_queries(self, user: str) -> list[str]:
		with as_user(user), captured() as queries:
			metrics.compute_dashboard(user)
		return queries

	def test_a_reps_rows_come_from_the_access_index(self):
		for query in self.dashboard_queries(self.rep):
			if "tabCRM Record Access" in query:
				with self.subTest(query=query[:80]):
					self.assertEqual(keys_for(query, "CRM Record Access"), {"user_record_unique"})

	def test_a_reps_desk_list_reads_the_access_index(self):
		with as_user(self.rep), captured() as queries:
			frappe.get_list(constants.INTERACTION, fields=["name"], order_by="modified desc", limit=20)
		(query,) = [q for q in queries if "from `tabCRM Interaction`" in q and "limit 20" in q.lower()]
		self.assertIn("user_record_unique", keys_for(query, "CRM Record Access"))

	def list_request(self, **form):
		"""As the rep, inside a request whose form is `form` (`frappe.set_user` clears the form)."""
		frappe.local.form_dict = frappe._dict(form)
		frappe.local.crm_walks_dates = {}

	def test_a_list_page_sorted_by_date_is_recognised(self):
		contact = f"`tab{constants.CONTACT}`.`modified` desc"
		cases = [
			({"cmd": "frappe.desk.reportview.get", "order_by": contact, "page_length": "20"}, 20),
			({"cmd": "frappe.client.get_list", "order_by": "creation asc", "limit_page_length": 50}, 50),
			({"cmd": "frappe.desk.reportview.get"}, 20),  # Frappe's default order: modified desc
			({"cmd": "frappe.desk.reportview.get", "order_by": "full_name asc"}, 0),  # no date index
			({"cmd": "frappe.desk.reportview.get_count", "order_by": contact}, 0),  # counts keep the join
			({"cmd": "frappe.desk.reportview.get", "order_by": contact, "page_length": 0}, 0),  # export
			({"cmd": "frappe.desk.reportview.get", "order_by": contact, "page_length": 501}, 0),
		]
		with as_user(self.rep):
			for form, page in cases:
				with self.subTest(form=form):
					self.list_request(**form)
					self.assertEqual(conditions.list_page_length(), page)

	def test_a_list_page_walks_dates_only_for_reps_who_reach_enough_of_the_table(self):
		page = {"cmd": "frappe.desk.reportview.get", "order_by": "modified desc", "page_length": "20"}
		with as_user(self.rep), patch.object(conditions, "table_rows", return_value=1_000_000):
			# 2·20·1,000,000 rows: the walk needs a reach of isqrt(40,000,000) = 6,324 rows
			with patch.object(conditions, "reaches_many", return_value=False) as reaches:
				self.list_request(**page)
				condition = conditions.get_query_conditions(constants.CONTACT)
			self.assertEqual(reaches.call_args.args, (constants.CONTACT, self.rep, 6324))
			self.assertIn("`name` in (select `record_name`", condition)
			with patch.object(conditions, "reaches_many", return_value=True):
				self.list_request(**page)
				walk = conditions.get_query_conditions(constants.CONTACT)
				count = conditions.get_query_conditions(constants.CONTACT, sets_only=True)
			self.assertIn("select count(*) from `tabCRM Record Access`", walk)
			self.assertIn("`name` in (select `record_name`", count)

	def test_both_plans_return_the_same_rows(self):
		other = rep(42)
		with as_user(other):
			make_interaction(make_customer("Plan Other Co").name, "Other call")
		with as_user(self.rep):
			self.list_request()
			joined = frappe.get_list(constants.INTERACTION, pluck="name", order_by="modified desc")
			with patch.object(conditions, "walks_dates", return_value=True):
				walked = frappe.get_list(constants.INTERACTION, pluck="name", order_by="modified desc")
		self.assertEqual(len(joined), 3)
		self.assertEqual(walked, joined)

	def test_latest_interactions_walk_the_date_index_for_busy_reps(self):
		with (
			patch.object(metrics, "reaches_many", return_value=True),
			as_user(self.rep),
			captured() as queries,
		):
			metrics.get_recent_interactions(self.rep)
		(query,) = [q for q in queries if "tabCRM Interaction" in q]
		# the hint names an index that exists (MariaDB still scans a table of a few rows whole: which plan
		# it picks at scale is measured by the benchmark, not here)
		self.assertIn("FORCE INDEX (`interaction_date_creation_index`)", query)
		indexes = frappe.db.sql(f"show index from `tab{constants.INTERACTION}`", as_dict=True)
		self.assertIn("interaction_date_creation_index", {row.Key_name for row in indexes})

	def test_a_managers_aggregates_use_their_covering_indexes(self):
		queries = self.dashboard_queries("Administrator")
		stage = next(q for q in queries if "SUM(`forecast_amount`)" in q)
		top = next(q for q in queries if "LIMIT 5" in q)
		self.assertIn("open_stage_figures_index", self.possible(stage, "CRM Opportunity"))
		self.assertIn("status_value_index", self.possible(top, "CRM Opportunity"))

	def possible(self, query: str, table: str) -> set[str]:
		keys = set()
		for row in plan(query):
			if row.table and table in row.table:
				keys |= set((row.possible_keys or "").split(",")) | {row.key}
		return keys

	def test_my_days_next_steps_and_deals_can_use_their_indexes(self):
		from crm_module.services.sales import my_day

		with as_user(self.rep), captured() as queries:
			my_day.get_my_day(self.rep)
		step = next(q for q in queries if "`next_step_date` between" in q)
		self.assertIn("next_step_date_index", self.possible(step, "CRM Interaction"))
		deals = next(q for q in queries if "count(*) over ()" in q)
		# the next step lookups run on the aliases i / j of the interaction table
		keys = set().union(*(set((row.possible_keys or "").split(",")) | {row.key} for row in plan(deals)))
		self.assertIn("opportunity_next_step_index", keys)
		self.assertIn("user_record_unique", self.possible(deals, "CRM Record Access"))
		leads = [q for q in queries if "FROM `tabCRM Sales Lead`" in q]
		self.assertEqual(len(leads), 3)  # one per condition, each with an index of its own
		for query, index in zip(
			leads, ("follow_up_status_index", "grade_status_index", "conversion_status_index"), strict=True
		):
			with self.subTest(index=index):
				self.assertIn(index, self.possible(query, "CRM Sales Lead"))
