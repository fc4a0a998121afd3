"""Backtest (not a test) of the learned revenue forecast against the stage-weighted one.

	python -m crm_module.benchmarks.forecast_backtest                           # generated histories (no Frappe)
	bench --site <site> execute crm_module.benchmarks.forecast_backtest.run     # the site's own history too

Each month is forecast from the pipeline as it stood on its first day, by a model trained only on the months
before (`crm_module.domain.forecast_backtest.backtest`), and compared with the revenue won in it.
"""

from crm_module.domain import forecast_backtest as bt

SEEDS = (1, 2, 3, 4, 5)
TARGET_RATIO = 0.5  # the model's MAPE at most half the stage-weighted one's
TARGET_COVERAGE = (75.0, 85.0)  # the share of months inside the 80 % interval


def print_result(label: str, result: dict) -> None:
	print(
		f"{label}: {result['months']} months backtested, MAPE model {result.get('mape_model')} % vs "
		f"stage-weighted {result.get('mape_weighted')} %, P10-P90 covers {result.get('coverage')} % of months"
	)


def generated(seeds=SEEDS, months: int = 36) -> dict:
	rows = []
	for seed in seeds:
		deals, first, last = bt.synthetic_history(months=months, seed=seed)
		result = bt.backtest(deals, first, last)
		print_result(f"generated history, seed {seed} ({len(deals)} deals)", result)
		rows.extend(result["rows"])
	pooled = bt.summary(rows)
	ratio = pooled["mape_model"] / pooled["mape_weighted"]
	low, high = TARGET_COVERAGE
	print_result(f"all {len(seeds)} histories", pooled)
	print(
		f"  target: model error <= {TARGET_RATIO:.0%} of the stage-weighted error: {ratio:.0%}   "
		f"{'met' if ratio <= TARGET_RATIO else 'MISSED'}"
	)
	print(
		f"  target: 80 % intervals cover {low:g}-{high:g} % of months: {pooled['coverage']} %   "
		f"{'met' if low <= pooled['coverage'] <= high else 'MISSED'}"
	)
	return {key: value for key, value in pooled.items() if key != "rows"}


def run() -> dict:
	from crm_module.services.sales.learned_forecast import site_backtest

	result = {"generated": generated()}
	site = site_backtest()
	if site.get("months"):
		print_result("this site's history", site)
	else:
		print(f"this site's history: {site.get('status')}")
	result["site"] = {key: value for key, value in site.items() if key != "rows"}
	return result


if __name__ == "__main__":
	generated()
