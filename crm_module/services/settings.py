"""CRM Module Settings as the domain sees them: the lead scoring configuration and the health weights.

The settings document holds plain fields; this module turns them into `domain.lead_scoring.ScoringConfig`
and `domain.health.HealthWeights`, which own every rule about them (non-negative weights, not all zero,
descending grade thresholds within 0-300, fit rules). The settings controller validates a save by
building both from the unsaved document; readers get them from a cache cleared on save.
"""

import frappe
from frappe import _

from crm_module import caching, constants
from crm_module.domain.fit_rules import FitRule
from crm_module.domain.health import HealthWeights
from crm_module.domain.lead_scoring import ScoringConfig
from crm_module.utils import throw_input

SCORING_CACHE_KEY = "crm_module:scoring_config"
HEALTH_CACHE_KEY = "crm_module:health_weights"

SCORING_WEIGHTS = ("engagement_weight", "fit_weight", "activity_weight")
HEALTH_WEIGHTS = ("health_engagement_weight", "health_activity_weight", "health_satisfaction_weight")
THRESHOLDS = ("grade_a_threshold", "grade_b_threshold", "grade_c_threshold")

# the domain's names for the settings fields, as they appear in its ValueError messages
SCORING_FIELD_NAMES = {
	"weights.engagement": "engagement_weight",
	"weights.fit": "fit_weight",
	"weights.activity": "activity_weight",
	"weights must": f"weights ({', '.join(SCORING_WEIGHTS)}) must",
	"thresholds.A": "grade_a_threshold",
	"thresholds.B": "grade_b_threshold",
	"thresholds.C": "grade_c_threshold",
	"fit_base": "fit_base_score",
}
HEALTH_FIELD_NAMES = {
	"weights.engagement": "health_engagement_weight",
	"weights.activity": "health_activity_weight",
	"weights.satisfaction": "health_satisfaction_weight",
	"weights must": f"weights ({', '.join(HEALTH_WEIGHTS)}) must",
}


def fit_rule_dict(row) -> dict:
	return {"field": row.field, "operator": row.operator, "value": row.value, "points": row.points}


def scoring_config_dict(settings, strict: bool = False) -> dict:
	"""The scoring configuration of a settings document. Unless `strict`, settings never saved (all
	weights or the A/B thresholds empty) and an empty fit-rule table leave the domain defaults."""
	config = {"fit_base": settings.fit_base_score or 0}
	weights = [settings.get(field) or 0 for field in SCORING_WEIGHTS]
	if strict or any(weights):
		config["weights"] = weights
	thresholds = [settings.get(field) for field in THRESHOLDS]
	if strict or all(thresholds[:2]):
		config["thresholds"] = {grade: value or 0 for grade, value in zip("ABC", thresholds, strict=True)}
	if settings.fit_rules:
		config["fit_rules"] = [fit_rule_dict(row) for row in settings.fit_rules]
	return config


def health_weight_values(settings) -> list[float]:
	return [settings.get(field) or 0 for field in HEALTH_WEIGHTS]


def validate_settings(settings) -> None:
	"""400 naming the field when the settings break a domain rule (see the module docstring)."""
	for row in settings.fit_rules:
		try:
			FitRule.from_dict(fit_rule_dict(row))
		except ValueError as error:
			throw_input(_("Fit Rules row {0}: {1}").format(row.idx, str(error)))
	domain_check(ScoringConfig.from_dict, SCORING_FIELD_NAMES, scoring_config_dict(settings, strict=True))
	domain_check(lambda weights: HealthWeights(*weights), HEALTH_FIELD_NAMES, health_weight_values(settings))


def domain_check(build, field_names: dict[str, str], value) -> None:
	try:
		build(value)
	except ValueError as error:
		message = str(error)
		for domain_name, field in field_names.items():
			message = message.replace(domain_name, field)
		throw_input(message)


def clear_settings_cache() -> None:
	caching.drop(SCORING_CACHE_KEY, HEALTH_CACHE_KEY)


def stored_settings():
	"""The settings as stored, not Frappe's document cache: this module's cache is filled from it, and the
	document cache is dropped after a commit only after this module's keys, so a reader in between could
	otherwise cache the old settings again."""
	return frappe.get_doc(constants.SETTINGS)


def get_scoring_config() -> ScoringConfig:
	"""The lead scoring configuration (cached; cleared when the settings are saved)."""

	def generator() -> dict:
		return ScoringConfig.from_dict(scoring_config_dict(stored_settings())).to_dict()

	return ScoringConfig.from_dict(caching.cached(SCORING_CACHE_KEY, generator))


def get_health_weights() -> HealthWeights:
	"""The customer health weights (cached; cleared when the settings are saved)."""

	def generator() -> list[float] | None:
		weights = health_weight_values(stored_settings())
		return weights if any(weights) else None  # never saved: the domain defaults apply

	weights = caching.cached(HEALTH_CACHE_KEY, generator)
	return HealthWeights(*weights) if weights else HealthWeights()
