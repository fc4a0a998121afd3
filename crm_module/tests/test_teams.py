"""Sales teams and territories: a team lead sees the team's records and no one else's; territories
route unowned records to their reps (crm_module/access/teams.py, services/sales/teams.py)."""

import frappe

from crm_module import constants
from crm_module.access.conditions import get_query_conditions
from crm_module.api import dashboard as dashboard_api
from crm_module.crm_module.report.crm_customer_health_overview import (
	crm_customer_health_overview as health_overview,
)
from crm_module.exceptions import CRMInputError, CRMProtectedFieldError
from crm_module.services.common import acting_user
from crm_module.services.reporting import metrics
from crm_module.services.sales import teams
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import (
	as_user,
	make_customer,
	make_interaction,
	make_lead,
	make_opportunity,
	make_team,
	make_territory,
	make_user,
)


def user(name: str) -> str:
	return make_user(f"crm.team.{name}@example.com", (constants.ROLE_USER,))


def team(name: str, lead: str, members=(), parent: str | None = None):
	return make_team(name, lead, members, parent)


class TestTeams(IntegrationTestCase):
	"""vp leads "Sales"; its sub-team "East" is led by east with members e1, e2; e2 leads "Deep" with d1.
	"West" (lead west, member w1) hangs off nothing: vp does not see it."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		for doctype in (constants.SALES_TEAM, constants.TERRITORY):
			for name in frappe.get_all(doctype, pluck="name", order_by="creation desc"):
				frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
		cls.vp, cls.east, cls.e1, cls.e2, cls.d1 = (user(n) for n in ("vp", "east", "e1", "e2", "d1"))
		cls.west, cls.w1 = user("west"), user("w1")
		team("Sales", cls.vp)
		team("East", cls.east, (cls.e1, cls.e2), parent="Sales")
		team("Deep", cls.e2, (cls.d1,))
		team("West", cls.west, (cls.w1,))
		cls.customers = {}
		for rep in (cls.e1, cls.e2, cls.d1, cls.w1, cls.vp):
			with as_user(rep):
				customer = make_customer(f"Team {rep.split('.')[2].split('@')[0]} Corp")
				make_opportunity(customer.name, "Team deal", 1000.10)
				make_interaction(customer.name, "Team call")
				make_lead(f"Team lead of {rep.split('.')[2].split('@')[0]}")
			cls.customers[rep] = customer.name
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		for name in ("Deep", "West", "East", "Sales"):
			frappe.delete_doc(constants.SALES_TEAM, name, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def visible_customers(self, viewer: str) -> set[str]:
		with as_user(viewer):
			return set(frappe.get_list(constants.CUSTOMER, pluck="name", limit_page_length=0)) & set(
				self.customers.values()
			)

	def expected(self, *reps: str) -> set[str]:
		return {self.customers[rep] for rep in reps}

	def test_lead_sees_team_and_sub_teams_and_members_members(self):
		self.assertEqual(self.visible_customers(self.vp), self.expected(self.vp, self.e1, self.e2, self.d1))
		self.assertEqual(self.visible_customers(self.east), self.expected(self.e1, self.e2, self.d1))
		self.assertEqual(self.visible_customers(self.e2), self.expected(self.e2, self.d1))
		self.assertEqual(self.visible_customers(self.west), self.expected(self.w1))

	def test_members_see_only_their_own(self):
		self.assertEqual(self.visible_customers(self.e1), self.expected(self.e1))
		self.assertEqual(self.visible_customers(self.d1), self.expected(self.d1))

	def test_every_path_agrees_for_a_lead(self):
		d1_customer = self.customers[self.d1]
		w1_customer = self.customers[self.w1]
		with as_user(self.east):
			self.assertTrue(frappe.has_permission(constants.CUSTOMER, "read", d1_customer))
			self.assertTrue(frappe.has_permission(constants.CUSTOMER, "write", d1_customer))
			self.assertFalse(frappe.has_permission(constants.CUSTOMER, "read", w1_customer))
			# children through the parent: opportunities and interactions of the team's customers
			deals = frappe.get_list(constants.OPPORTUNITY, filters={"customer": w1_customer}, pluck="name")
			self.assertEqual(deals, [])
			calls = frappe.get_list(constants.INTERACTION, filters={"customer": d1_customer}, pluck="name")
			self.assertEqual(len(calls), 1)
			leads = set(frappe.get_list(constants.LEAD, pluck="lead_name", limit_page_length=0))
			self.assertIn("Team lead of d1", leads)
			self.assertNotIn("Team lead of w1", leads)
		# the condition itself names the team, once
		self.assertIn(frappe.db.escape(self.d1), get_query_conditions(constants.CUSTOMER, self.east))
		self.assertNotIn(frappe.db.escape(self.w1), get_query_conditions(constants.CUSTOMER, self.east))

	def test_dashboard_counts_the_team(self):
		def open_deals(viewer):
			with as_user(viewer):
				return metrics.compute_dashboard(viewer)["open_opportunities"]

		own = {rep: open_deals(rep) for rep in (self.e1, self.e2, self.d1, self.w1)}
		self.assertTrue(all(own.values()))
		self.assertGreater(own[self.e2], own[self.d1])  # e2 leads Deep: their own deals and d1's
		# e1, e2 and (through e2) d1; not west's w1
		self.assertEqual(open_deals(self.east), own[self.e1] + own[self.e2])

	def test_team_change_takes_effect_at_once(self):
		with as_user(self.west):
			self.assertEqual(self.visible_customers(self.west), self.expected(self.w1))
		west = frappe.get_doc(constants.SALES_TEAM, "West")
		west.members = []
		west.save(ignore_permissions=True)
		try:
			self.assertEqual(self.visible_customers(self.west), set())
		finally:
			west.append("members", {"user": self.w1})
			west.save(ignore_permissions=True)
		self.assertEqual(self.visible_customers(self.west), self.expected(self.w1))

	def test_lead_reassigns_within_the_team_only(self):
		with as_user(self.e1):
			customer = make_customer("Team reassign Corp")
		with as_user(self.east):
			doc = frappe.get_doc(constants.CUSTOMER, customer.name)
			doc.account_owner = self.e2
			doc.save()
			self.assertEqual(frappe.db.get_value(constants.CUSTOMER, customer.name, "account_owner"), self.e2)
			doc.account_owner = self.w1
			self.assertRaises(CRMProtectedFieldError, doc.save)
			created = make_customer("Team given Corp", account_owner=self.d1)
			self.assertEqual(created.account_owner, self.d1)
			self.assertRaises(
				CRMProtectedFieldError, make_customer, "Team stolen Corp", account_owner=self.w1
			)
		with as_user(self.e2):  # a member cannot hand records around
			doc = frappe.get_doc(constants.CUSTOMER, customer.name)
			doc.account_owner = self.e1
			self.assertRaises(CRMProtectedFieldError, doc.save)

	def test_lead_acts_for_team_members(self):
		with as_user(self.east):
			self.assertEqual(acting_user(self.d1), self.d1)
			self.assertRaises(frappe.PermissionError, acting_user, self.w1)
			self.assertEqual(set(dashboard_api.team()["members"]), {self.east, self.e1, self.e2, self.d1})
		with as_user(self.e1):
			self.assertRaises(frappe.PermissionError, acting_user, self.e2)
			self.assertEqual(dashboard_api.team()["members"], [self.e1])

	def test_team_tree_cannot_loop_and_names_the_field(self):
		sales = frappe.get_doc(constants.SALES_TEAM, "Sales")
		sales.parent_team = "East"
		with self.assertRaises(CRMInputError) as raised:
			sales.save(ignore_permissions=True)
		self.assertIn("parent_team", str(raised.exception))
		self.assertRaises(frappe.LinkExistsError, frappe.delete_doc, constants.SALES_TEAM, "Sales")

	def test_team_users_for_reports(self):
		self.assertEqual(teams.team_users("East"), sorted([self.east, self.e1, self.e2]))
		self.assertEqual(
			teams.team_users("Sales"), sorted([self.vp, self.east, self.e1, self.e2])
		)  # sub-teams, not the teams members lead elsewhere
		self.assertIsNone(teams.visible_users("Administrator"))


class TestTerritories(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		for name in frappe.get_all(constants.TERRITORY, pluck="name", order_by="lft desc"):
			frappe.delete_doc(constants.TERRITORY, name, force=True, ignore_permissions=True)
		cls.r1, cls.r2, cls.r3 = (user(n) for n in ("tr1", "tr2", "tr3"))
		cls.manager = make_user("crm.team.manager@example.com", (constants.ROLE_MANAGER,))

		territory = make_territory
		territory("World", is_group=1, reps=(cls.r3,))
		territory("Europe", "World", (cls.r1, cls.r2), is_group=1)
		territory("France", "Europe")
		territory("Asia", "World")
		frappe.db.commit()

	def test_subtree(self):
		self.assertEqual(set(teams.territory_subtree("Europe")), {"Europe", "France"})
		self.assertEqual(set(teams.territory_subtree("World")), {"World", "Europe", "France", "Asia"})
		self.assertEqual(teams.territory_subtree("Atlantis"), [])

	def test_unowned_records_go_to_the_least_loaded_rep(self):
		with as_user(self.manager):
			first = make_lead("Territory one", territory="France")
			second = make_lead("Territory two", territory="France")
			third = make_lead("Territory three", territory="France")
			customer = make_customer("Territory Asia Corp", territory="Asia")
		owners = [first.lead_owner, second.lead_owner, third.lead_owner]
		self.assertEqual(set(owners[:2]), {self.r1, self.r2})  # France has no reps: Europe's share
		self.assertIn(owners[2], (self.r1, self.r2))
		self.assertEqual(customer.account_owner, self.r3)  # Asia: up to World

	def test_explicit_and_rep_created_owners_stay(self):
		with as_user(self.manager):
			lead = make_lead("Territory chosen", territory="France", lead_owner=self.r3)
		self.assertEqual(lead.lead_owner, self.r3)
		with as_user(self.r3):
			own = make_lead("Territory mine", territory="France")
		self.assertEqual(own.lead_owner, self.r3)

	def test_records_are_filtered_by_subtree(self):
		with as_user(self.manager):
			make_customer("Territory Paris Corp", territory="France")
			make_customer("Territory Tokyo Corp", territory="Asia")
		europe = frappe.get_all(
			constants.CUSTOMER,
			filters={"territory": ("in", teams.territory_subtree("Europe"))},
			pluck="company_name",
		)
		self.assertIn("Territory Paris Corp", europe)
		self.assertNotIn("Territory Tokyo Corp", europe)
		with as_user(self.manager):
			_columns, data, *_rest = health_overview.execute({"territory": "Europe", "limit": 5000})
		names = {row["company_name"] for row in data}
		self.assertIn("Territory Paris Corp", names)
		self.assertNotIn("Territory Tokyo Corp", names)
