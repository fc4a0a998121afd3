# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from crm_module import constants
from crm_module.domain.contact_points import normalize_email
from crm_module.domain.duplicates import company_key
from crm_module.services.contact_points import site_phone
from crm_module.services.sales.teams import route_by_territory
from crm_module.utils import domain_call, require_range, throw_input


class CRMCustomerProfile(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		account_owner: DF.Link | None
		address: DF.SmallText | None
		annual_revenue: DF.Currency
		company_key: DF.Data | None
		company_name: DF.Data
		churn_probability: DF.Percent
		churn_reasons: DF.SmallText | None
		churn_updated_on: DF.Date | None
		company_size: DF.Literal["", "1-10", "11-50", "51-200", "201-500", "501-1000", "1000+"]
		currency: DF.Link | None
		custom_data: DF.JSON | None
		customer_type: DF.Literal["Company", "Individual"]
		description: DF.TextEditor | None
		email_id: DF.Data | None
		engagement_level: DF.Literal["", "Low", "Medium", "High"]
		erp_sync_state: DF.JSON | None
		erpnext_customer: DF.Data | None
		health_score: DF.Int
		health_updated_on: DF.Date | None
		industry: DF.Data | None
		last_activity_on: DF.Datetime | None
		last_interaction_on: DF.Datetime | None
		lifecycle_stage: DF.Literal[
			"Subscriber", "Lead", "Prospect", "Opportunity", "Customer", "Evangelist", "Churned"
		]
		nps_score: DF.Literal["", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
		phone: DF.Data | None
		risk_level: DF.Literal["", "Green", "Yellow", "Red"]
		satisfaction_rating: DF.Float
		segment: DF.Data | None
		source_lead: DF.Link | None
		status: DF.Literal["Active", "Inactive"]
		territory: DF.Link | None
		website: DF.Data | None
	# end: auto-generated types

	def before_insert(self):
		route_by_territory(self)  # unowned records go to the territory's rep

	def validate(self):
		self.company_name = (self.company_name or "").strip()
		self.company_key = company_key(self.company_name)  # duplicate candidates group on it
		require_range(self, "health_score", 0, 100)
		require_range(self, "satisfaction_rating", 0, 5)
		if self.annual_revenue and self.annual_revenue < 0:
			require_range(self, "annual_revenue", 0, float("inf"))
		if self.email_id:
			self.email_id = domain_call(normalize_email, self.email_id)
		if self.phone:
			self.phone = domain_call(site_phone, self.phone)
		if self.custom_data and not isinstance(frappe.parse_json(self.custom_data), dict):
			throw_input(_("{0} must be a JSON object").format("custom_data"))


def on_doctype_update():
	frappe.db.add_index(constants.CUSTOMER, ["account_owner", "status"], "account_owner_status_index")
	# the dashboard's customer and retention counts read this index alone
	frappe.db.add_index(constants.CUSTOMER, ["status", "creation"], "status_creation_index")
	# the health overview: the lowest health scores first, and the count per risk level
	frappe.db.add_index(constants.CUSTOMER, ["status", "health_score"], "status_health_index")
	frappe.db.add_index(constants.CUSTOMER, ["status", "risk_level"], "status_risk_index")
	# the churn risk report: the highest probabilities first
	frappe.db.add_index(constants.CUSTOMER, ["status", "churn_probability"], "status_churn_index")
