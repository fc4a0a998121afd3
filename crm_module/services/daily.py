"""The nightly run: one `daily_long` job that runs the CRM's daily steps in the order they depend on.

1. ``refresh``: days in pipeline of every opportunity (`opportunity_jobs`);
2. ``scoring``: score the active leads, retrain the conversion model, refresh predictions (`scoring`);
3. ``health``: today's health score of every customer, with one Red digest per owner (`health`);
4. ``churn``: retrain the churn model and predict it for every active customer, from today's health (`churn`);
5. ``segments``: re-evaluate the dynamic segments, which read today's health (`segments`);
6. ``automation``: the managers' automation rules, which see today's health and grades (`automation`);
7. ``alerts``: follow-up reminders for the leads due today (`followups`);
8. ``forecast``: today's snapshot of the pipeline for the revenue forecast's week-over-week changes, after
   every step that changes deals (`forecast`);
9. ``learned_forecast``: backtest and retrain the learned revenue forecast on the day's history
   (`learned_forecast`).

Frappe's scheduler runs the jobs of one event in no guaranteed order, so the steps are not separate hooks.
Each step is set-based and idempotent for its day. The steps done today are remembered (in the cache,
for two days), so running the job again after a failure resumes at the step that failed instead of
starting over; ``restart=True`` runs every step again.
"""

import time
from collections.abc import Callable

import frappe
from frappe.utils import nowdate

from crm_module.services.automation import runs as automation
from crm_module.services.insights import churn, health, scoring, segments
from crm_module.services.sales import followups, forecast, learned_forecast, opportunity_jobs

STEPS: tuple[tuple[str, Callable[[], object]], ...] = (
	("refresh", opportunity_jobs.refresh_days_in_pipeline),
	("scoring", scoring.score_all_leads),
	("health", health.compute_all_health_scores),
	("churn", churn.predict_churn),
	("segments", segments.evaluate_all_segments),
	("automation", automation.run_rules),
	("alerts", followups.create_follow_up_todos),
	("forecast", forecast.snapshot_pipeline),
	("learned_forecast", learned_forecast.train_model),
)
DONE_TTL = 2 * 24 * 3600


def done_key(day: str) -> str:
	return f"crm_module:daily_run:{day}"


def run_daily(restart: bool = False) -> dict:
	"""Run today's steps that have not run yet; returns {step: "done" | "skipped"} with timings logged."""
	day = nowdate()
	key = done_key(day)
	done = [] if restart else list(frappe.cache.get_value(key, expires=True) or [])
	logger = frappe.logger("crm_module")
	report = {}
	for name, step in STEPS:
		if name in done:
			report[name] = "skipped"
			continue
		started = time.monotonic()
		logger.info(f"daily run {day}: {name} started")
		try:
			step()
			if not frappe.flags.in_test:
				frappe.db.commit()  # a later failure must not undo a finished step
		except Exception:
			frappe.db.rollback()
			logger.exception(f"daily run {day}: {name} failed; the next run resumes here")
			raise
		done.append(name)
		frappe.cache.set_value(key, done, expires_in_sec=DONE_TTL)
		logger.info(f"daily run {day}: {name} done in {time.monotonic() - started:.1f} s")
		report[name] = "done"
	return report
