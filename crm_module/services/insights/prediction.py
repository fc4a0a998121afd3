"""Predictive conversion probability: a naive-Bayes model (`crm_module.domain.predictive`) trained on the
site's converted vs lost/unqualified leads, stored as JSON in CRM Module Settings, and applied to open
leads (`conversion_probability` + `prediction_factors`). Without enough history the leads say so."""

import frappe
from frappe.utils import now_datetime

from crm_module import constants
from crm_module.domain import predictive
from crm_module.domain.statuses import LEAD_DECIDED_STATUSES
from crm_module.services import bulk
from crm_module.services.common import require_manager
from crm_module.services.insights.lead_inputs import lead_properties


def train_model() -> dict:
	"""Train on all closed leads (one query) and store the model; returns a summary."""
	lead = frappe.qb.DocType(constants.LEAD)
	fields = ("source", "industry", "company_size", "email_id", "phone", "status")
	history = (
		frappe.qb.from_(lead)
		.select(*(lead[f] for f in fields))
		.where(lead.status.isin(LEAD_DECIDED_STATUSES))
		.run(as_dict=True)
	)
	for row in history:
		row["email"] = row["email_id"]
	model = predictive.train(history)
	summary = {
		"history": len(history),
		"status": "trained" if model else "not_enough_history",
		"required": predictive.MIN_HISTORY,
		"required_per_class": predictive.MIN_CLASS_ROWS,
	}
	for field, value in (
		("prediction_model", frappe.as_json(model.to_dict(), indent=None) if model else None),
		("prediction_trained_on", now_datetime()),
		("prediction_history_size", len(history)),
	):
		frappe.db.set_single_value(constants.SETTINGS, field, value)
	return summary


def retrain() -> dict:
	"""Managers: retrain the conversion model and refresh the predictions of the active leads."""
	require_manager()
	summary = train_model()
	summary["predicted"] = predict_leads()
	return summary


def load_model() -> predictive.Model | None:
	raw = frappe.db.get_single_value(constants.SETTINGS, "prediction_model")
	if not raw:
		return None
	try:
		return predictive.Model.from_dict(frappe.parse_json(raw))
	except ValueError:
		return None


def not_enough_history() -> dict:
	return {
		"status": "not_enough_history",
		"history": frappe.db.get_single_value(constants.SETTINGS, "prediction_history_size") or 0,
		"required": predictive.MIN_HISTORY,
		"required_per_class": predictive.MIN_CLASS_ROWS,
	}


def predict_leads(names: list[str] | None = None) -> int:
	"""Store the predicted conversion probability of the given (default: all open) leads."""
	leads = lead_properties(names, open_only=names is None)
	updates = predictions(leads)
	bulk.update_values(constants.LEAD, updates)
	return len(updates)


def predictions(leads: list[dict], model: predictive.Model | None = None) -> dict[str, dict]:
	"""{lead: {conversion_probability, prediction_factors}} of `lead_properties` rows under the stored
	model (`model`: that model, already loaded); each distinct combination of features is predicted once."""
	model = model or load_model()
	if model is None:
		missing = {"conversion_probability": 0, "prediction_factors": frappe.as_json(not_enough_history())}
		return {lead["name"]: missing for lead in leads}
	known: dict[tuple, dict] = {}
	updates = {}
	for lead in leads:
		key = predictive.feature_key(model, lead)
		if key not in known:
			prediction = predictive.predict(model, lead)
			factors = {"status": "predicted", "factors": prediction.factors}
			known[key] = {
				"conversion_probability": prediction.probability,
				"prediction_factors": frappe.as_json(factors, indent=None),
			}
		updates[lead["name"]] = known[key]
	return updates
