# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt
"""CRM Module Settings: scoring weights, grade thresholds, fit rules and health weights (cached)."""

import frappe
from frappe import _
from frappe.model.document import Document

from crm_module import constants as c
from crm_module.domain.fit_rules import FitRule
from crm_module.domain.health import HealthWeights
from crm_module.domain.lead_scoring import ScoringConfig
from crm_module.utils import throw_input

SCORING_CACHE_KEY = "crm_module:scoring_config"
HEALTH_CACHE_KEY = "crm_module:health_weights"


class CRMModuleSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from crm_module.crm_module.doctype.crm_fit_rule.crm_fit_rule import CRMFitRule

		activity_weight: DF.Float
		create_erpnext_customer: DF.Check
		duplicate_policy: DF.Literal["Warn", "Block"]
		engagement_weight: DF.Float
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
	# end: auto-generated types

	def validate(self):
		self.validate_weights()
		self.validate_thresholds()
		self.validate_fit_rules()

	def validate_weights(self):
		for group in (SCORING_WEIGHTS, HEALTH_WEIGHTS):
			for field in group:
				if (self.get(field) or 0) < 0:
					throw_input(
						_("{0} ({1}) must not be negative").format(_(self.meta.get_label(field)), field)
					)
			if not any(self.get(field) for field in group):
				labels = ", ".join(f"{_(self.meta.get_label(f))} ({f})" for f in group)
				throw_input(_("Weights must not all be zero: {0}").format(labels))

	def validate_thresholds(self):
		values = [self.get(f) for f in THRESHOLDS]
		for field, value in zip(THRESHOLDS, values, strict=True):
			if value is None or not 0 <= value <= 300:
				throw_input(
					_("{0} ({1}) must be between 0 and 300, got {2}").format(
						_(self.meta.get_label(field)), field, value
					)
				)
		if not values[0] > values[1] > values[2]:
			throw_input(
				_("Grade thresholds must be descending: {0} > {1} > {2} (grade_a_threshold > ...)").format(
					*values
				)
			)
		if not 0 <= (self.fit_base_score or 0) <= 100:
			throw_input(_("Fit Base Score (fit_base_score) must be between 0 and 100"))

	def validate_fit_rules(self):
		for row in self.fit_rules:
			try:
				FitRule.from_dict(fit_rule_dict(row))
			except ValueError as e:
				throw_input(_("Fit Rules row {0}: {1}").format(row.idx, str(e)))

	def on_update(self):
		clear_settings_cache()


SCORING_WEIGHTS = ("engagement_weight", "fit_weight", "activity_weight")
HEALTH_WEIGHTS = ("health_engagement_weight", "health_activity_weight", "health_satisfaction_weight")
THRESHOLDS = ("grade_a_threshold", "grade_b_threshold", "grade_c_threshold")


def fit_rule_dict(row) -> dict:
	points = row.points
	return {"field": row.field, "operator": row.operator, "value": row.value, "points": points}


def clear_settings_cache() -> None:
	frappe.cache.delete_value([SCORING_CACHE_KEY, HEALTH_CACHE_KEY])


def _scoring_config_dict() -> dict:
	s = frappe.get_cached_doc(c.SETTINGS)
	config = {"fit_base": s.fit_base_score or 0}
	if any(s.get(f) for f in SCORING_WEIGHTS):  # never saved: the domain defaults apply
		config["weights"] = [s.get(f) or 0 for f in SCORING_WEIGHTS]
	if all(s.get(f) for f in THRESHOLDS[:2]):
		config["thresholds"] = {g: s.get(f) or 0 for g, f in zip("ABC", THRESHOLDS, strict=True)}
	if s.fit_rules:  # an empty table means the default rules of crm_module.domain.fit_rules
		config["fit_rules"] = [fit_rule_dict(r) for r in s.fit_rules]
	return ScoringConfig.from_dict(config).to_dict()


def get_scoring_config() -> ScoringConfig:
	"""The lead scoring configuration (cached; cleared when the settings are saved)."""
	return ScoringConfig.from_dict(frappe.cache.get_value(SCORING_CACHE_KEY, _scoring_config_dict))


def get_health_weights() -> HealthWeights:
	"""The customer health weights (cached; cleared when the settings are saved)."""

	def generator():
		s = frappe.get_cached_doc(c.SETTINGS)
		weights = [s.get(f) or 0 for f in HEALTH_WEIGHTS]
		return weights if any(weights) else None  # never saved: the domain defaults apply

	weights = frappe.cache.get_value(HEALTH_CACHE_KEY, generator)
	return HealthWeights(*weights) if weights else HealthWeights()
