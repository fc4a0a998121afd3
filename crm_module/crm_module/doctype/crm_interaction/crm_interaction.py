# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import get_datetime

from crm_module import constants
from crm_module.services.integrations.calendar_sync import delete_events, sync_interaction
from crm_module.services.timeline import record_activity_timeline, touch_customer
from crm_module.utils import throw_input


class CRMInteraction(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		cancelled: DF.Check
		communication: DF.Link | None
		conducted_by: DF.Data | None
		contact: DF.Link | None
		customer: DF.Link | None
		description: DF.TextEditor | None
		direction: DF.Literal["", "Inbound", "Outbound"]
		duration_minutes: DF.Int
		email_template: DF.Link | None
		event: DF.Link | None
		idempotency_key: DF.Data | None
		interaction_date: DF.Datetime
		interaction_type: DF.Literal["Call", "Email", "Meeting", "Note", "Task", "SMS"]
		lead: DF.Link | None
		message_id: DF.Data | None
		next_step: DF.Data | None
		next_step_date: DF.Date | None
		next_step_event: DF.Link | None
		nps_score: DF.Literal["", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
		opportunity: DF.Link | None
		outcome: DF.Literal["", "Positive", "Neutral", "Negative", "No Response"]
		satisfaction_rating: DF.Literal["", "1", "2", "3", "4", "5"]
		sentiment: DF.Literal["", "Positive", "Neutral", "Negative"]
		subject: DF.Data
	# end: auto-generated types

	def validate(self):
		if not self.customer and not self.lead:
			throw_input(_("Customer (customer) or Lead (lead) is required for an interaction"))
		if (self.duration_minutes or 0) < 0:
			throw_input(_("Duration Minutes (duration_minutes) cannot be negative"))
		if self.contact and self.customer:
			contact_customer = frappe.db.get_value(constants.CONTACT, self.contact, "customer")
			if contact_customer != self.customer:
				throw_input(
					_("Contact (contact) {0} belongs to customer {1}, not {2}").format(
						self.contact, contact_customer, self.customer
					)
				)
		if self.opportunity and self.customer:
			opp_customer = frappe.db.get_value(constants.OPPORTUNITY, self.opportunity, "customer")
			if opp_customer != self.customer:
				throw_input(
					_("Opportunity (opportunity) {0} belongs to another customer").format(self.opportunity)
				)
		if not self.conducted_by:
			self.conducted_by = frappe.utils.get_fullname(frappe.session.user)

	def after_insert(self):
		record_activity_timeline(
			customer=self.customer,
			lead=self.lead,
			activity_type="Interaction",
			title=_("{0}: {1}").format(_(self.interaction_type), self.subject),
			description=self.next_step,
			reference_doctype=self.doctype,
			reference_name=self.name,
			metadata={
				"interaction_type": self.interaction_type,
				"outcome": self.outcome,
				"sentiment": self.sentiment,
				"contact": self.contact,
				"opportunity": self.opportunity,
			},
			activity_date=self.interaction_date,
		)

	def on_update(self):
		"""Last contacted (contact) and last interaction/activity (customer) move forward, never back."""
		when = get_datetime(self.interaction_date)
		if self.contact:
			contact = frappe.qb.DocType(constants.CONTACT)
			(
				frappe.qb.update(contact)
				.set(contact.last_contacted_on, when)
				.where(contact.name == self.contact)
				.where(contact.last_contacted_on.isnull() | (contact.last_contacted_on < when))
			).run()
		if self.customer:
			touch_customer(self.customer, when, interaction=True)
		# meetings and next steps in the conducting user's calendar (runs on insert too)
		sync_interaction(self)

	def on_trash(self):
		delete_events(self)


def on_doctype_update():
	frappe.db.add_index(constants.INTERACTION, ["owner", "interaction_date"], "owner_interaction_date_index")
	# the dashboard's latest interactions: read the newest index entries instead of sorting 1M rows
	frappe.db.add_index(
		constants.INTERACTION, ["interaction_date", "creation"], "interaction_date_creation_index"
	)
	frappe.db.add_index(
		constants.INTERACTION, ["customer", "interaction_date"], "customer_interaction_date_index"
	)
	# an opportunity's interactions: the access index cascade, automation's "no activity for N days"
	frappe.db.add_index(
		constants.INTERACTION, ["opportunity", "interaction_date"], "opportunity_interaction_date_index"
	)
	# My Day: the next steps due in a bounded window, and a deal's latest next step (read from the index alone)
	frappe.db.add_index(constants.INTERACTION, ["next_step_date", "cancelled"], "next_step_date_index")
	frappe.db.add_index(
		constants.INTERACTION, ["opportunity", "cancelled", "next_step_date"], "opportunity_next_step_index"
	)
