"""Likely duplicates and merging them: every kind of record that points at the loser moves, conflicting
fields are the caller's choice, nothing changes without write access to the survivor and the right to
delete the loser (a CRM User has none: only managers merge), and it is all-or-nothing."""

from unittest.mock import patch

import frappe
from frappe.desk.form import assign_to
from frappe.utils import nowdate

from crm_module import constants
from crm_module.access.records import can_reach
from crm_module.crm_module.report.crm_duplicate_candidates import crm_duplicate_candidates as report
from crm_module.services import tags
from crm_module.services.dedupe import candidates as duplicate_candidates
from crm_module.services.dedupe import merge
from crm_module.tests.api_case import CRMAPITestCase
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import (
	as_user,
	make_contact,
	make_customer,
	make_interaction,
	make_lead,
	make_opportunity,
	manager,
	rep,
)


class TestDuplicatesAndMerge(IntegrationTestCase):
	def setUp(self):
		self.rep, self.other, self.manager = rep(71), rep(72), manager()
		if not frappe.db.exists(constants.TAG, "Merge Tag"):
			frappe.get_doc({"doctype": constants.TAG, "tag_name": "Merge Tag"}).insert(
				ignore_permissions=True
			)
		with as_user(self.rep):
			self.keep = make_customer("Acme Corp.", industry="Technology").name
			self.gone = make_customer("ACME Corporation", website="https://acme.example").name
			self.contact = make_contact(self.gone, "Wile").name
			self.opportunity = make_opportunity(self.gone, "Anvils", 500).name
			self.interaction = make_interaction(self.gone, "Anvil demo").name
			note = frappe.get_doc(
				{
					"doctype": constants.NOTE,
					"reference_doctype": constants.CUSTOMER,
					"reference_name": self.gone,
					"content": "Likes anvils",
				}
			).insert()
			self.note = note.name
			tags.add_tag(constants.CUSTOMER, self.gone, "Merge Tag")
			tags.add_tag(constants.CUSTOMER, self.keep, "Merge Tag")
		with as_user(self.other):
			self.theirs = make_customer("Acme Corp").name
		for name, score in ((self.keep, 80), (self.gone, 30)):
			frappe.get_doc(
				{
					"doctype": constants.HEALTH_SCORE,
					"customer": name,
					"score_date": nowdate(),
					**dict.fromkeys(
						("health_score", "engagement_score", "activity_score", "satisfaction_score"), score
					),
				}
			).insert(ignore_permissions=True)

	def test_candidates_match_company_names_within_the_callers_reach(self):
		with as_user(self.rep):
			pairs = duplicate_candidates.find_candidates(constants.CUSTOMER)
		mine = [p for p in pairs if {p["a"], p["b"]} == {self.keep, self.gone}]
		self.assertEqual(len(mine), 1)
		self.assertIn("company", mine[0]["reasons"])
		self.assertFalse([p for p in pairs if self.theirs in (p["a"], p["b"])])  # another rep's customer

	def test_candidates_match_contacts_and_leads_by_any_email_or_phone(self):
		tag = frappe.generate_hash(length=6)
		with as_user(self.rep):
			first = make_contact(
				self.keep,
				"Road",
				emails=[{"email_id": f"road.{tag}@acme.example"}],
				phones=[{"phone": "+14155550101"}],
			).name
			second = make_contact(
				self.keep,
				"Runner",
				emails=[{"email_id": f"runner.{tag}@acme.example"}, {"email_id": f"ROAD.{tag}@ACME.example"}],
			).name
			third = make_contact(self.keep, "Coyote", phones=[{"phone": "+1 (415) 555-0101"}]).name
			lead_a = (
				frappe.get_doc(
					{"doctype": constants.LEAD, "lead_name": "Lead A", "company_name": f"Beep {tag} GmbH"}
				)
				.insert()
				.name
			)
			lead_b = (
				frappe.get_doc(
					{"doctype": constants.LEAD, "lead_name": "Lead B", "company_name": f"BEEP {tag}"}
				)
				.insert()
				.name
			)
			contacts = duplicate_candidates.find_candidates(constants.CONTACT)
			leads = duplicate_candidates.find_candidates(constants.LEAD)
		reasons = {frozenset((p["a"], p["b"])): p["reasons"] for p in contacts}
		self.assertEqual(reasons.get(frozenset((first, second))), ["email"])  # a second address, other case
		self.assertEqual(reasons.get(frozenset((first, third))), ["phone"])  # typed differently, same E.164
		self.assertNotIn(frozenset((second, third)), reasons)
		pair = [p for p in leads if {p["a"], p["b"]} == {lead_a, lead_b}]
		self.assertEqual([p["reasons"] for p in pair], [["company"]])
		with as_user(self.other):  # none of it is another rep's business
			theirs = duplicate_candidates.find_candidates(constants.CONTACT)
		self.assertFalse([p for p in theirs if first in (p["a"], p["b"])])

	def test_merge_moves_everything_and_deletes_the_loser(self):
		with as_user(self.manager):
			result = merge.merge_records(constants.CUSTOMER, self.keep, self.gone, take=["website"])
		self.assertFalse(frappe.db.exists(constants.CUSTOMER, self.gone))
		survivor = frappe.get_doc(constants.CUSTOMER, self.keep)
		self.assertEqual((survivor.website, survivor.industry), ("https://acme.example", "Technology"))
		for doctype, name in (
			(constants.CONTACT, self.contact),
			(constants.OPPORTUNITY, self.opportunity),
			(constants.INTERACTION, self.interaction),
		):
			self.assertEqual(frappe.db.get_value(doctype, name, "customer"), self.keep, doctype)
			self.assertTrue(can_reach(doctype, name, self.rep))
		self.assertEqual(frappe.db.get_value(constants.NOTE, self.note, "reference_name"), self.keep)
		# one tag and one health row per day on the survivor: the loser's copies were dropped
		self.assertEqual(
			frappe.db.count(constants.TAGGED_ITEM, {"reference_name": self.keep, "tag": "Merge Tag"}), 1
		)
		self.assertEqual(
			frappe.db.get_value(constants.TAG, "Merge Tag", "usage_count"),
			frappe.db.count(constants.TAGGED_ITEM, {"tag": "Merge Tag"}),
		)
		self.assertEqual(
			frappe.get_all(constants.HEALTH_SCORE, {"customer": self.keep}, pluck="health_score"), [80]
		)
		self.assertEqual(result["moved"][constants.CONTACT], 1)
		self.assertTrue(
			frappe.db.exists(constants.TIMELINE, {"customer": self.keep, "title": ("like", f"%{self.gone}%")})
		)

	def test_a_contacts_emails_join_the_survivor(self):
		with as_user(self.rep):
			first = make_contact(self.keep, "Road", emails=[{"email_id": "road@acme.example"}]).name
			second = make_contact(
				self.keep,
				"Runner",
				emails=[{"email_id": "ROAD@acme.example"}, {"email_id": "beep@acme.example"}],
			).name
		with as_user(self.manager):
			merge.merge_records(constants.CONTACT, first, second)
		emails = frappe.get_all(constants.EMAIL_ADDRESS, {"parent": first}, pluck="email_id", order_by="idx")
		self.assertEqual(emails, ["road@acme.example", "beep@acme.example"])

	def test_a_rep_may_not_merge_even_their_own_records(self):
		"""A merge deletes the loser; a CRM User has no right to delete (DELETE answers 403), so the merge
		answers 403 too and changes nothing, for customers, leads and contacts alike."""
		with as_user(self.rep):
			other_contact = make_contact(self.keep, "Wile").name
			leads = [make_lead(f"Dup Lead {i}", company_name="Dup Lead GmbH").name for i in (1, 2)]
			refused = (
				(constants.CUSTOMER, self.keep, self.gone),
				(constants.CONTACT, other_contact, self.contact),
				(constants.LEAD, *leads),
			)
			for doctype, survivor, loser in refused:
				self.assertTrue(frappe.has_permission(doctype, "write", survivor), doctype)  # their own
				with self.assertRaises(frappe.PermissionError, msg=doctype) as caught:
					merge.merge_records(doctype, survivor, loser)
				self.assertIn("not allowed to delete", str(caught.exception))
				self.assertRaises(frappe.PermissionError, merge.preview, doctype, survivor, loser)
		for doctype, _survivor, loser in refused:
			self.assertTrue(frappe.db.exists(doctype, loser), doctype)
		for doctype, name in (
			(constants.CONTACT, self.contact),
			(constants.OPPORTUNITY, self.opportunity),
			(constants.INTERACTION, self.interaction),
		):
			self.assertEqual(frappe.db.get_value(doctype, name, "customer"), self.gone, doctype)
		self.assertEqual(frappe.db.get_value(constants.NOTE, self.note, "reference_name"), self.gone)
		self.assertEqual(frappe.db.count(constants.TAGGED_ITEM, {"reference_name": self.gone}), 1)
		self.assertEqual(frappe.db.count(constants.HEALTH_SCORE, {"customer": self.gone}), 1)
		self.assertFalse(
			frappe.db.exists(constants.TIMELINE, {"customer": self.keep, "title": ("like", "Merged%")})
		)

	def test_the_report_offers_merge_only_to_those_who_may_delete(self):
		tag = frappe.generate_hash(length=8)  # a pair of its own: the manager sees the whole site
		with as_user(self.rep):
			pair = {make_customer(f"Zyx {tag} Ltd").name, make_customer(f"ZYX {tag}").name}
			columns, rows = report.execute({"doctype": constants.CUSTOMER})
		mine = [row for row in rows if {row["a"], row["b"]} == pair]
		self.assertEqual([row["can_merge"] for row in mine], [0])
		self.assertNotIn("merge", [column["fieldname"] for column in columns])
		with as_user(self.manager):
			columns, rows = report.execute({"doctype": constants.CUSTOMER})
		theirs = [row for row in rows if {row["a"], row["b"]} == pair]
		self.assertEqual([row["can_merge"] for row in theirs], [1])
		self.assertEqual(columns[-1]["fieldname"], "merge")

	def test_no_merge_without_write_access_to_both(self):
		with as_user(self.rep):
			self.assertRaises(
				frappe.PermissionError, merge.merge_records, constants.CUSTOMER, self.keep, self.theirs
			)
		with as_user(self.other):
			self.assertRaises(
				frappe.PermissionError, merge.merge_records, constants.CUSTOMER, self.theirs, self.gone
			)
		self.assertTrue(frappe.db.exists(constants.CUSTOMER, self.gone))
		self.assertEqual(frappe.db.get_value(constants.CONTACT, self.contact, "customer"), self.gone)

	def test_fields_that_cannot_be_taken_are_refused(self):
		with as_user(self.manager), self.assertRaises(frappe.ValidationError) as caught:
			merge.merge_records(constants.CUSTOMER, self.keep, self.gone, take=["health_score"])
		self.assertIn("health_score", str(caught.exception))

	def test_a_failure_leaves_nothing_changed(self):
		frappe.db.savepoint("before_merge")
		with as_user(self.manager), patch.object(frappe, "delete_doc", side_effect=RuntimeError("disk full")):
			with self.assertRaises(RuntimeError):
				merge.merge_records(constants.CUSTOMER, self.keep, self.gone)
		frappe.db.rollback(save_point="before_merge")  # what the request's rollback does
		self.assertEqual(frappe.db.get_value(constants.CONTACT, self.contact, "customer"), self.gone)
		self.assertTrue(frappe.db.exists(constants.CUSTOMER, self.gone))

	def test_assignments_follow_the_survivor(self):
		assign_to.add({"assign_to": [self.other], "doctype": constants.CUSTOMER, "name": self.gone})
		with as_user(self.manager):
			merge.merge_records(constants.CUSTOMER, self.keep, self.gone)
		self.assertTrue(
			frappe.db.exists(
				"ToDo",
				{
					"reference_type": constants.CUSTOMER,
					"reference_name": self.keep,
					"allocated_to": self.other,
					"status": "Open",
				},
			)
		)
		self.assertTrue(can_reach(constants.CUSTOMER, self.keep, self.other))
		self.assertTrue(can_reach(constants.CONTACT, self.contact, self.other))  # and what hangs off it
		# the access index agrees, so the survivor is in the assignee's lists too
		for doctype, name in ((constants.CUSTOMER, self.keep), (constants.CONTACT, self.contact)):
			self.assertTrue(
				frappe.db.exists(
					constants.RECORD_ACCESS, {"user": self.other, "record_type": doctype, "record_name": name}
				)
			)


class TestMergeOverHTTP(CRMAPITestCase):
	"""The reproduction of issue 18 over HTTP: a rep may not DELETE their own customer, so merging two of
	them answers 403 as well and changes nothing; a CRM Manager merges them."""

	prefix = "merge"

	def test_a_rep_cannot_merge_their_own_customers_a_manager_can(self):
		with as_user(self.rep_a):
			loser = make_customer("merge A Corporation").name
			contact = make_contact(loser, "Milton").name
		url = f"/api/resource/{constants.CUSTOMER}/{loser}"
		self.assertEqual(self.call("DELETE", url, self.rep_a).status, 403)
		body = {"doctype": constants.CUSTOMER, "survivor": self.customer_a, "loser": loser}
		self.assertFails(self.post("merge.merge_records", self.rep_a, body), 403, "not allowed to delete")
		self.assertTrue(frappe.db.exists(constants.CUSTOMER, loser))
		self.assertTrue(frappe.db.exists(constants.CUSTOMER, self.customer_a))
		self.assertEqual(frappe.db.get_value(constants.CONTACT, contact, "customer"), loser)
		moved = self.assertOk(self.post("merge.merge_records", self.manager, body))
		self.assertEqual(moved["moved"][constants.CONTACT], 1)
		self.assertFalse(frappe.db.exists(constants.CUSTOMER, loser))
		self.assertEqual(frappe.db.get_value(constants.CONTACT, contact, "customer"), self.customer_a)
