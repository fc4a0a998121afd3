# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt
"""CRM Module Settings: scoring weights, grade thresholds, fit rules and health weights.

The rules and the cached readers are in `crm_module.services.settings`."""

from frappe.model.document import Document

from crm_module.services.settings import clear_settings_cache, validate_settings


class CRMModuleSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from crm_module.crm_module.doctype.crm_fit_rule.crm_fit_rule import CRMFitRule

		activity_weight: DF.Float
		churn_history_size: DF.Int
		churn_model: DF.JSON | None
		churn_trained_on: DF.Datetime | None
		create_erpnext_customer: DF.Check
		create_leads_from_unknown_senders: DF.Check
		duplicate_policy: DF.Literal["Warn", "Block"]
		engagement_weight: DF.Float
		erpnext_deal_item: DF.Data | None
		erpnext_won_document: DF.Literal["None", "Quotation", "Sales Order"]
		fit_base_score: DF.Int
		fit_rules: DF.Table[CRMFitRule]
		fit_weight: DF.Float
		grade_a_threshold: DF.Int
		grade_b_threshold: DF.Int
		grade_c_threshold: DF.Int
		health_activity_weight: DF.Float
		health_engagement_weight: DF.Float
		health_satisfaction_weight: DF.Float
		prediction_history_size: DF.Int
		prediction_model: DF.JSON | None
		prediction_trained_on: DF.Datetime | None
		sync_with_erpnext: DF.Check
	# end: auto-generated types

	def validate(self):
		validate_settings(self)

	def on_update(self):
		clear_settings_cache()
		# the ERPNext / Contact sync switched on: pair the existing records (issue 20)
		from crm_module.services.integrations.erp_sync import on_settings_update

		on_settings_update(self)
