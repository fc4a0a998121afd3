"""Benchmark (not a test): our dashboard against Frappe CRM's on the same site, in the same run.

	bench --site <site> execute crm_module.benchmarks.peer.fill      # 100k CRM Leads + 100k CRM Deals
	bench --site <site> execute crm_module.benchmarks.peer.compare
	bench --site <site> execute crm_module.benchmarks.peer.remove

Needs Frappe CRM (the `crm` app) on the site; says so and does nothing otherwise. The peer's rows are
named `BENCHPEER-…`, spread over two years, over the same 20 reps as dataset L, across every lead and
deal status, with values, probabilities, close dates and lost reasons, so each of its dashboard widgets
has work to do. Both dashboards are timed as the Administrator over the same 365-day window, ours cold
(computed, not read from the cache).
"""

import random
import time

import frappe
from frappe.utils import add_days, add_to_date, now_datetime, today

from crm_module.benchmarks.dataset import rep_email
from crm_module.benchmarks.reads import timed
from crm_module.services.reporting import cache as metrics_cache
from crm_module.services.reporting import metrics

PREFIX = "BENCHPEER-"
CHUNK = 10_000
LEAD_STATUSES = ("New", "Contacted", "Nurture", "Qualified", "Unqualified", "Junk")
DEAL_STATUSES = ("Qualification", "Demo/Making", "Proposal/Quotation", "Negotiation", "Ready to Close")
DEAL_STATUSES += ("Won", "Lost")


def has_peer() -> bool:
	if "crm" not in frappe.get_installed_apps() or not frappe.db.exists("DocType", "CRM Deal"):
		print("Frappe CRM is not installed on this site: no comparison.")
		return False
	return True


def fill(n: int = 100_000, seed: int = 11) -> dict:
	"""Insert `n` CRM Leads and `n` CRM Deals (set-based, like dataset L)."""
	if not has_peer():
		return {}
	rng = random.Random(seed)
	owners = [rep_email(i) for i in range(20)]
	sources = frappe.get_all("CRM Lead Source", pluck="name") or [None]
	reasons = frappe.get_all("CRM Lost Reason", pluck="name") or [None]
	started, now = time.monotonic(), now_datetime()
	std = ["name", "creation", "modified", "owner", "modified_by"]
	lead_fields = [*std, "naming_series", "first_name", "lead_name", "status", "source", "lead_owner"]
	lead_fields += ["email", "organization", "converted"]
	deal_fields = [*std, "naming_series", "status", "source", "deal_owner", "deal_value", "currency"]
	deal_fields += ["exchange_rate", "expected_deal_value", "probability", "expected_closure_date"]
	deal_fields += ["closed_date", "lost_reason", "lead"]
	leads, deals = [], []
	for i in range(n):
		created = add_to_date(now, days=-rng.randrange(0, 730), minutes=-rng.randrange(0, 1440))
		owner = rng.choice(owners)
		lead = f"{PREFIX}LEAD-{i:07d}"
		leads.append(
			[
				lead,
				created,
				created,
				owner,
				owner,
				"CRM-LEAD-.YYYY.-",
				f"Peer {i}",
				f"Peer Lead {i}",
				rng.choice(LEAD_STATUSES),
				rng.choice(sources),
				owner,
				f"peer{i}@example.com",
				f"Peer Org {i % 5000}",
				1 if i % 3 == 0 else 0,
			]
		)
		status = rng.choice(DEAL_STATUSES)
		value = round(rng.uniform(500, 200_000), 2)
		closed = add_days(created, rng.randrange(5, 120)) if status in ("Won", "Lost") else None
		deals.append(
			[
				f"{PREFIX}DEAL-{i:07d}",
				created,
				created,
				owner,
				owner,
				"CRM-DEAL-.YYYY.-",
				status,
				rng.choice(sources),
				owner,
				value,
				"USD",
				1,
				value * rng.uniform(0.5, 1.2),
				rng.randrange(0, 101),
				add_days(created, 60),
				closed,
				rng.choice(reasons) if status == "Lost" else None,
				lead if i % 3 == 0 else None,
			]
		)
	for doctype, fields, rows in (("CRM Lead", lead_fields, leads), ("CRM Deal", deal_fields, deals)):
		for start in range(0, len(rows), CHUNK):
			frappe.db.bulk_insert(doctype, fields, rows[start : start + CHUNK], chunk_size=CHUNK)
			frappe.db.commit()
	counts = {"CRM Lead": n, "CRM Deal": n, "seconds": round(time.monotonic() - started, 1)}
	print(counts)
	return counts


def compare(repeat: int = 5) -> dict:
	"""Median wall time of both dashboards, 365-day window, as the Administrator."""
	if not has_peer():
		return {}
	from crm.api.dashboard import get_dashboard as peer_dashboard

	frappe.set_user("Administrator")
	start, end = add_days(today(), -365), today()

	def ours():
		metrics_cache.invalidate()
		metrics.get_dashboard("Administrator", start, end)

	ours(), peer_dashboard(start, end)  # warm both code paths (imports, metadata, caches)
	result = {
		"peer rows": {dt: frappe.db.count(dt) for dt in ("CRM Lead", "CRM Deal")},
		"ours rows": {dt: frappe.db.count(dt) for dt in ("CRM Sales Lead", "CRM Opportunity")},
		"ours_ms": round(timed(ours, repeat), 1),
		"peer_ms": round(timed(lambda: peer_dashboard(start, end), repeat), 1),
	}
	result["speedup"] = round(result["peer_ms"] / result["ours_ms"], 1) if result["ours_ms"] else None
	verdict = "met" if (result["speedup"] or 0) >= 5 else "MISSED"
	print(
		f"dashboard, 365 days, cold: ours {result['ours_ms']} ms ({result['ours rows']}), Frappe CRM "
		f"get_dashboard {result['peer_ms']} ms ({result['peer rows']}): {result['speedup']}x faster, "
		f"target >= 5x   {verdict}"
	)
	return result


def remove() -> None:
	if not has_peer():
		return
	for doctype in ("CRM Deal", "CRM Lead"):
		frappe.db.sql(f"delete from `tab{doctype}` where name like %s", f"{PREFIX}%")
		frappe.db.commit()
