"""Benchmark (not a test): the read paths of issue 9 on whatever data the site holds (dataset L:
`crm_module.benchmarks.dataset.make`). Prints measured / target per line; asserts nothing.

	bench --site <site> execute crm_module.benchmarks.reads.run
	bench --site <site> execute crm_module.benchmarks.reads.run --kwargs "{'repeat': 5}"

HTTP figures go through Frappe's WSGI application in this process (werkzeug test client: routing,
auth by API token, permission hooks, JSON encoding), without a network hop or gunicorn.
"""

import statistics
import time
from threading import Thread
from unittest.mock import patch

import frappe
from frappe.utils import add_days, get_test_client, today

from crm_module import constants
from crm_module.benchmarks.dataset import REPS, rep_email
from crm_module.services.reporting import cache as metrics_cache
from crm_module.services.reporting import metrics
from crm_module.tests.api_case import CRMAPITestCase

LIST_DOCTYPES = (
	constants.CUSTOMER,
	constants.CONTACT,
	constants.INTERACTION,
	constants.OPPORTUNITY,
	constants.LEAD,
	constants.TIMELINE,
	constants.NOTE,
)
REPORTS = ("CRM Pipeline Forecast", "CRM Conversion Metrics", "CRM Customer Health Overview")


def timed(fn, repeat: int) -> float:
	"""Median wall time of `fn()` in milliseconds."""
	samples = []
	for _ in range(repeat):
		started = time.perf_counter()
		fn()
		samples.append((time.perf_counter() - started) * 1000)
	return statistics.median(samples)


def line(label: str, ms: float, target_ms: float) -> dict:
	verdict = "met" if ms <= target_ms else "MISSED"
	print(f"{label:<64} {ms:>9.1f} ms   target <= {target_ms:>5.0f} ms   {verdict}")
	return {"what": label, "ms": round(ms, 1), "target_ms": target_ms, "met": ms <= target_ms}


def info(label: str, ms: float) -> None:
	print(f"{label:<64} {ms:>9.1f} ms   (no target)")


def http_get(client, token: str, path: str, **params):
	result, site = {}, frappe.local.site

	def call():
		with patch("frappe.app.get_site_name", return_value=site):
			result["r"] = client.get(path, headers={"Authorization": f"token {token}"}, query_string=params)

	thread = Thread(target=call)
	thread.start()
	thread.join()
	assert result["r"].status_code == 200, result["r"].get_data(as_text=True)[:300]
	return result["r"]


def run(repeat: int = 3) -> list[dict]:
	manager = frappe.db.get_value(
		"Has Role", {"role": constants.ROLE_MANAGER, "parenttype": "User"}, "parent"
	)
	rep = rep_email(0) if frappe.db.exists("User", rep_email(0)) else None
	users = [u for u in (manager or "Administrator", rep) if u]
	year_ago = add_days(today(), -365)
	client = get_test_client(use_cookies=False)
	results = []
	print(
		f"site {frappe.local.site}: {frappe.db.count(constants.CUSTOMER)} customers, {frappe.db.count(constants.INTERACTION)} interactions"
	)
	for user in users:
		token = CRMAPITestCase.api_token(user)
		frappe.db.commit()
		who = "manager" if user != rep else "rep"
		for window, kwargs in (("all-time", {}), ("365 days", {"fromDate": year_ago})):

			def cold(kwargs=kwargs, token=token):
				metrics_cache.invalidate()
				http_get(client, token, "/api/v2/method/crm_module.api.dashboard.get", **kwargs)

			def warm(kwargs=kwargs, token=token):
				http_get(client, token, "/api/v2/method/crm_module.api.dashboard.get", **kwargs)

			results.append(line(f"dashboard API over HTTP, {who}, {window}, cold", timed(cold, repeat), 250))
			warm()
			results.append(
				line(f"dashboard API over HTTP, {who}, {window}, warm", timed(warm, repeat * 3), 20)
			)
		frappe.set_user(user)
		for doctype in LIST_DOCTYPES:

			def list_page(doctype=doctype, token=token):
				"""What the desk list view asks for: 20 rows by last change, and the count it shows
				("20 of 1,000+": Frappe counts up to 1,001 and offers the exact figure on a click)."""
				fields = frappe.as_json([f"`tab{doctype}`.`name`", f"`tab{doctype}`.`modified`"])
				http_get(
					client,
					token,
					"/api/method/frappe.desk.reportview.get",
					doctype=doctype,
					fields=fields,
					order_by=f"`tab{doctype}`.`modified` desc",
					start=0,
					page_length=20,
				)
				http_get(
					client, token, "/api/method/frappe.desk.reportview.get_count", doctype=doctype, limit=1001
				)

			def exact_count(doctype=doctype):
				frappe.get_list(doctype, fields=["count(*) as count"], order_by=None)

			results.append(
				line(f"desk list page (20 rows + count), {doctype}, {who}", timed(list_page, repeat), 150)
			)
			info(f"  exact count on click, {doctype}, {who}", timed(exact_count, repeat))
		for report in REPORTS:
			from frappe.desk.query_report import run as run_report

			results.append(
				line(
					f"report {report}, {who}", timed(lambda r=report: run_report(r, filters={}), repeat), 500
				)
			)

		def search():
			from frappe.desk.search import search_link

			search_link(constants.CUSTOMER, "Bench Company 12")

		results.append(line(f"link search, customers, {who}", timed(search, repeat), 100))
		results.append(
			line(
				f"dashboard function, {who}, 365 days, uncached",
				timed(lambda: metrics.compute_dashboard(user, year_ago), repeat),
				250,
			)
		)
		frappe.set_user("Administrator")
	if rep:
		results += my_day_timings(repeat)
	met = sum(r["met"] for r in results)
	print(f"\n{met} of {len(results)} targets met")
	return results


def my_day_timings(repeat: int = 3) -> list[dict]:
	"""My Day (issue 22), in process (the whitelisted function as the user: its permission checks, the
	queries, the ranking, the payload; no HTTP and no writes): a rep of dataset L, and a team lead who
	reaches 10 reps' records (dataset L has no teams and this run writes nothing: the lead's reach is the
	first 10 reps, patched into the row rules; the queries are the ones a real team lead runs). The stage
	history figures are cached for minutes, so a typical request finds them cached: warmed first.

		bench --site <site> execute crm_module.benchmarks.reads.my_day_timings"""
	from crm_module.api import my_day

	rep = rep_email(0)
	team = [rep_email(i) for i in range(min(10, REPS))]
	results = []
	for label, reach, target in (("rep", [rep], 150), ("team lead of 10 reps", team, 300)):
		with patch("crm_module.access.conditions.reach_users", lambda user, reach=reach: reach):
			frappe.set_user(rep)
			frappe.local.crm_large_reach = {}
			found = my_day.get()
			ms = timed(my_day.get, repeat * 3)
			results.append(line(f"My Day API, {label} of dataset L ({found['total']} items)", ms, target))
	frappe.set_user("Administrator")
	return results
