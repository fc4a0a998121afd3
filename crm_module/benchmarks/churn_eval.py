"""Evaluation (not a test) of the churn model: AUC on generated customers with known drivers, against
the rule-based health score, and on the site's own customers when it has enough history.

	python -m crm_module.benchmarks.churn_eval               # generated data only (needs no Frappe)
	bench --site <site> execute crm_module.benchmarks.churn_eval.run   # both
"""

from crm_module.domain import churn

TARGET_AUC = 0.80


def generated(n: int = 6000, seed: int = 1) -> dict:
	result = churn.evaluate(churn.synthetic_customers(n, seed))
	verdict = (
		"met"
		if result.get("auc_model", 0) >= TARGET_AUC and result["auc_model"] > result["auc_health"]
		else "MISSED"
	)
	print(
		f"churn model on {n} generated customers ({result.get('churn_rate')} churned, 30 % held out): "
		f"AUC {result.get('auc_model')} vs health score {result.get('auc_health')}   target >= {TARGET_AUC} "
		f"and above health   {verdict}"
	)
	return result


def run(n: int = 6000) -> dict:
	from crm_module.services.insights.churn import evaluate_site

	return {"generated": generated(n), "site": evaluate_site()}


if __name__ == "__main__":
	generated()
