"""Benchmark (not a test): the nightly jobs on whatever data the site holds (dataset L), timed.

bench --site <site> execute crm_module.benchmarks.jobs_at_scale.run
"""

import resource
import time

import frappe

from crm_module import constants
from crm_module.services import health, scoring


def run() -> dict:
	figures = {}
	for label, job in (
		("health, all customers", health.compute_all_health_scores),
		("score all leads", scoring.score_all_leads),
	):
		started = time.monotonic()
		result = job()
		frappe.db.commit()
		figures[label] = {"seconds": round(time.monotonic() - started, 1), "result": result}
		print(label, figures[label])
	figures["max RSS MB"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
	figures["alerts"] = frappe.db.count(
		"Notification Log", {"type": "Alert", "document_type": constants.CUSTOMER}
	)
	print(figures)
	return figures
