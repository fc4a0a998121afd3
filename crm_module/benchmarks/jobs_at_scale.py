"""Benchmark (not a test): the nightly run (`crm_module.services.daily`) on dataset L, step by step.

	bench --site <site> execute crm_module.benchmarks.jobs_at_scale.run

Health is measured as a first run after an import: the dataset's customers lose their stored health
first, so every customer whose last touch is older than 30 days falls into Red at once, and the alerts
must arrive as one digest per owner. Prints measured / target per line; asserts nothing.
"""

import resource
import time

import frappe
from frappe.utils import nowdate

from crm_module import constants
from crm_module.benchmarks.dataset import PREFIX
from crm_module.services import daily
from crm_module.services.insights import scoring

TARGETS = {"scoring": 60, "health": 60}  # seconds, issue 9
RSS_TARGET_MB = 500


def max_rss_mb() -> int:
	return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def forget_health() -> int:
	"""Make the next health run a first one for the dataset's customers (as after an import)."""
	frappe.db.sql(
		f"delete from `tab{constants.HEALTH_SCORE}` where customer like %s", f"{PREFIX}%"
	)  # nosemgrep: benchmark data only
	profile = frappe.qb.DocType(constants.CUSTOMER)
	(
		frappe.qb.update(profile)
		.set(profile.health_score, 0)
		.set(profile.risk_level, None)
		.set(profile.health_updated_on, None)
		.where(profile.name.like(f"{PREFIX}%"))
	).run()
	frappe.db.commit()
	return frappe.db.count(constants.CUSTOMER, {"name": ("like", f"{PREFIX}%")})


def run() -> dict:
	customers = forget_health()
	alerts_before = frappe.db.count("Notification Log", {"document_type": constants.CUSTOMER})
	print(f"site {frappe.local.site}: {customers} customers of dataset L without a stored health score")
	figures = {}
	for name, step in daily.STEPS:
		started = time.monotonic()
		result = step()
		frappe.db.commit()
		seconds = time.monotonic() - started
		figures[name] = {"seconds": round(seconds, 1), "result": result, "max_rss_mb": max_rss_mb()}
		target = TARGETS.get(name)
		verdict = "" if target is None else ("met" if seconds <= target else "MISSED")
		limit = f"target <= {target} s" if target else "(no target)"
		print(f"nightly step {name:<10} {seconds:>7.1f} s   {limit:<16} {verdict}   {result}")
	leads = frappe.get_all(constants.LEAD, pluck="name")
	started = time.monotonic()
	scoring.score_leads(leads)
	frappe.db.commit()
	seconds = time.monotonic() - started
	verdict = "met" if seconds <= TARGETS["scoring"] else "MISSED"
	print(f"score every lead ({len(leads)}, any status) {seconds:>7.1f} s   target <= 60 s   {verdict}")
	figures["score every lead"] = {"leads": len(leads), "seconds": round(seconds, 1)}
	red = frappe.db.count(constants.HEALTH_SCORE, {"score_date": nowdate(), "risk_level": "Red"})
	alerts = frappe.db.count("Notification Log", {"document_type": constants.CUSTOMER}) - alerts_before
	rss = max_rss_mb()
	print(f"customers Red today: {red}; health alerts written: {alerts} (one digest per owner)")
	print(f"max RSS {rss} MB   target <= {RSS_TARGET_MB} MB   {'met' if rss <= RSS_TARGET_MB else 'MISSED'}")
	figures.update({"red_today": red, "alerts": alerts, "max_rss_mb": rss})
	return figures
