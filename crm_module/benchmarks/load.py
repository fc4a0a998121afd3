"""Benchmark (not a test): N concurrent API clients for T seconds against a served site, then a check
that every acknowledged write was stored exactly once and the tag counter is exact.

Run it through `scripts/benchmark.sh load`, which serves the site with gunicorn on loopback and runs:

	bench --site S execute crm_module.benchmarks.load.prepare --kwargs "{'path': '/tmp/load.json'}"
	env/bin/python -m crm_module.benchmarks.load http://127.0.0.1:8013 S /tmp/load.json 50 60
	bench --site S execute crm_module.benchmarks.load.verify --kwargs "{'path': '/tmp/load.json'}"

Each client is one of the 20 reps of dataset L (`crm_module.benchmarks.dataset`) with an API token. The
mix, per request: 10 % dashboard, 25 % a desk list page (20 rows of a random CRM doctype), 15 % pipeline
by stage, 10 % a customer's interaction history, 10 % link search, 20 % log an interaction (write) and
10 % tag one of the rep's customers (write, counter). Only loopback URLs are accepted.

Then the same clients call Frappe's bare `ping` for 20 s (`--floor`): the ceiling any mix reaches on this
server, printed beside it (not a target).

`prepare` also sets the site config flag ``crm_bench_cache_stats`` (the cached figures count their hits and
misses in Redis while it is set, `crm_module.services.reporting.cache.stats`); `verify` prints the hit rate
per figure and removes the flag again.
"""

import json
import random
import statistics
import sys
import threading
import time
from urllib.parse import urlparse

MIX = (
	("dashboard", 10),
	("list", 25),
	("pipeline", 15),
	("history", 10),
	("search", 10),
	("log interaction", 20),
	("tag customer", 10),
)
LIST_DOCTYPES = (
	"CRM Customer Profile",
	"CRM Contact",
	"CRM Interaction",
	"CRM Opportunity",
	"CRM Sales Lead",
)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_CLIENTS, MAX_SECONDS = 200, 600


# ---------------------------------------------------------------- in the site (bench execute)


def prepare(path: str, customers_per_rep: int = 300) -> dict:
	"""Write the run's plan to `path`: a run id, a tag, and per rep an API token and some customers."""
	import frappe

	from crm_module import constants
	from crm_module.benchmarks.dataset import rep_email
	from crm_module.tests.api_case import CRMAPITestCase

	run_id = frappe.generate_hash(length=6).upper()
	tag = f"LOAD-{run_id}"
	frappe.get_doc({"doctype": constants.TAG, "tag_name": tag}).insert(ignore_permissions=True)
	reps = []
	for i in range(20):
		user = rep_email(i)
		if not frappe.db.exists("User", user):
			continue
		customers = frappe.get_all(
			constants.CUSTOMER,
			filters={"account_owner": user},
			pluck="name",
			limit=customers_per_rep,
			order_by="name",
		)
		reps.append({"user": user, "token": CRMAPITestCase.api_token(user), "customers": customers})
	frappe.db.commit()
	count_cache_hits(True)
	plan = {"run": run_id, "tag": tag, "reps": reps, "site": frappe.local.site}
	with open(path, "w") as handle:
		json.dump(plan, handle)
	print(f"load plan {run_id}: {len(reps)} reps, tag {tag}, written to {path}")
	return {"run": run_id, "reps": len(reps)}


def verify(path: str) -> dict:
	"""Compare what the clients were told was stored with what is stored, then remove the run's rows."""
	import frappe

	from crm_module import constants
	from crm_module.access import index as access_index

	with open(path) as handle:
		plan = json.load(handle)
	acked = plan.get("acknowledged", {})
	marker = f"LOAD-{plan['run']}-%"
	interactions = frappe.get_all(
		constants.INTERACTION, filters={"subject": ("like", marker)}, pluck="subject"
	)
	tagged = frappe.db.count(constants.TAGGED_ITEM, {"tag": plan["tag"]})
	usage = frappe.db.get_value(constants.TAG, plan["tag"], "usage_count")
	acked_interactions = set(acked.get("interactions", []))
	checks = {
		"interactions acknowledged": len(acked_interactions),
		"interactions stored": len(interactions),
		"stored exactly once": len(interactions) == len(set(interactions)) == len(acked_interactions)
		and set(interactions) == acked_interactions,
		"tags acknowledged": len(acked.get("tags", [])),
		"tagged items stored": tagged,
		"tag usage_count": usage,
		"tag counter exact": tagged == usage == len(acked.get("tags", [])),
	}
	for key, value in checks.items():
		print(f"{key:<28} {value}")
	checks["cache"] = print_cache_hits()
	count_cache_hits(False)
	names = frappe.get_all(constants.INTERACTION, filters={"subject": ("like", marker)}, pluck="name")
	timeline = frappe.get_all(
		constants.TIMELINE,
		filters={"reference_doctype": constants.INTERACTION, "reference_name": ("in", names or [""])},
		pluck="name",
	)
	for doctype, rows in ((constants.TIMELINE, timeline), (constants.INTERACTION, names)):
		access_index.forget(doctype, rows)
		if rows:
			frappe.db.delete(doctype, {"name": ("in", rows)})
	frappe.db.delete(constants.TAGGED_ITEM, {"tag": plan["tag"]})
	frappe.db.delete(constants.TAG, plan["tag"])
	frappe.db.commit()
	return checks


def count_cache_hits(on: bool) -> None:
	"""Count the dashboard cache's hits and misses from now on (`on`, counters reset) or stop counting."""
	from frappe.installer import update_site_config

	from crm_module.services.reporting import cache as metrics_cache

	if on:
		metrics_cache.reset_stats()
		update_site_config(metrics_cache.STATS_FLAG, 1)
	else:
		update_site_config(metrics_cache.STATS_FLAG, "None")  # removes the key


def print_cache_hits() -> dict[str, int]:
	"""Hit rate of the cached figures during the run: the dashboard's two parts and the pipeline by stage."""
	from crm_module.services.reporting import cache as metrics_cache

	counts = metrics_cache.stats()
	names = sorted({field.split(":")[0] for field in counts})
	total = {"hits": 0, "misses": 0}
	for name in names:
		hits, misses = counts.get(f"{name}:hits", 0), counts.get(f"{name}:misses", 0)
		total["hits"] += hits
		total["misses"] += misses
		print(f"cache {name:<21} {hits:>6} hits {misses:>6} misses  hit rate {hit_rate(hits, misses)}")
	print(
		f"cache {'all cached figures':<21} {total['hits']:>6} hits {total['misses']:>6} misses  hit rate {hit_rate(**total)}"
	)
	return counts


def hit_rate(hits: int, misses: int) -> str:
	return f"{100 * hits / (hits + misses):5.1f} %" if hits + misses else "  n/a"


# ---------------------------------------------------------------- the clients (plain Python)


class Client(threading.Thread):
	def __init__(self, number: int, base: str, site: str, plan: dict, deadline: float, floor: bool = False):
		super().__init__(daemon=True)
		self.floor = floor  # Frappe's bare `ping` with the same token auth instead of the mix
		import requests

		self.number, self.base, self.plan, self.deadline = number, base.rstrip("/"), plan, deadline
		rep = plan["reps"][number % len(plan["reps"])]
		share = number // len(plan["reps"])  # clients of the same rep tag different customers
		self.customers = rep["customers"]
		self.to_tag = [c for i, c in enumerate(self.customers) if i % 3 == share % 3]
		self.session = requests.Session()
		self.session.headers.update({"Authorization": f"token {rep['token']}", "Host": site})
		self.random = random.Random(number)
		self.samples: list[tuple[str, float, int]] = []
		self.errors: list[str] = []
		self.interactions: list[str] = []
		self.tags: list[str] = []
		self.sequence = 0

	def request(self, kind: str, method: str, path: str, **kwargs) -> int:
		started = time.perf_counter()
		try:
			response = self.session.request(method, self.base + path, timeout=30, **kwargs)
			status = response.status_code
			if status != 200 and len(self.errors) < 3:
				self.errors.append(f"{kind} {status}: {response.text[:300]}")
		except Exception as error:
			status = 0
			self.errors.append(f"{kind}: {error!r}"[:300])
		self.samples.append((kind, (time.perf_counter() - started) * 1000, status))
		return status

	def one(self) -> None:
		if self.floor:
			self.request("ping", "GET", "/api/method/ping")
			return
		kind = self.random.choices([k for k, _w in MIX], [w for _k, w in MIX])[0]
		customer = self.random.choice(self.customers) if self.customers else ""
		if kind == "dashboard":
			self.request(kind, "GET", "/api/method/crm_module.api.dashboard.get")
		elif kind == "list":
			doctype = self.random.choice(LIST_DOCTYPES)
			fields = json.dumps([f"`tab{doctype}`.`name`", f"`tab{doctype}`.`modified`"])
			params = {"doctype": doctype, "fields": fields, "page_length": 20}
			params["order_by"] = f"`tab{doctype}`.`modified` desc"
			self.request(kind, "GET", "/api/method/frappe.desk.reportview.get", params=params)
		elif kind == "pipeline":
			self.request(kind, "GET", "/api/method/crm_module.api.opportunities.get")
		elif kind == "history":
			params = {"customerId": customer, "limit": 20}
			self.request(kind, "GET", "/api/method/crm_module.api.interactions.get", params=params)
		elif kind == "search":
			params = {"doctype": "CRM Customer Profile", "txt": f"Bench Company {self.random.randrange(100)}"}
			self.request(kind, "GET", "/api/method/frappe.desk.search.search_link", params=params)
		elif kind == "log interaction":
			self.sequence += 1
			subject = f"LOAD-{self.plan['run']}-{self.number}-{self.sequence}"
			body = {"customerId": customer, "subject": subject, "interactionType": "Call"}
			if self.request(kind, "POST", "/api/method/crm_module.api.interactions.post", json=body) == 200:
				self.interactions.append(subject)
		elif kind == "tag customer" and self.to_tag:
			name = self.to_tag.pop()
			body = {"doctype": "CRM Customer Profile", "name": name, "tag": self.plan["tag"]}
			if self.request(kind, "POST", "/api/method/crm_module.api.sales.add_tag", json=body) == 200:
				self.tags.append(name)

	def run(self) -> None:
		while time.monotonic() < self.deadline:
			self.one()


def percentile(values: list[float], share: float) -> float:
	values = sorted(values)
	return values[min(len(values) - 1, int(len(values) * share))] if values else 0.0


def run_clients(url: str, site: str, path: str, clients, seconds, floor: bool = False):
	"""(plan, the clients after their run, seconds elapsed): `clients` clients for `seconds` on a loopback
	`url`, each one of the plan's reps (`floor`: all calling Frappe's bare `ping`)."""
	if urlparse(url).hostname not in LOOPBACK:
		raise SystemExit(f"refusing to load {url}: only loopback addresses are allowed")
	clients, seconds = min(int(clients), MAX_CLIENTS), min(int(seconds), MAX_SECONDS)
	with open(path) as handle:
		plan = json.load(handle)
	deadline = time.monotonic() + seconds
	workers = [Client(i, url, site, plan, deadline, floor=floor) for i in range(clients)]
	started = time.monotonic()
	for worker in workers:
		worker.start()
	for worker in workers:
		worker.join()
	return plan, workers, time.monotonic() - started


def main(url: str, site: str, path: str, clients: int = 50, seconds: int = 60) -> dict:
	plan, workers, elapsed = run_clients(url, site, path, clients, seconds)
	clients, seconds = len(workers), min(int(seconds), MAX_SECONDS)
	samples = [sample for worker in workers for sample in worker.samples]
	latencies = [ms for _kind, ms, _status in samples]
	errors = sum(1 for _kind, _ms, status in samples if status != 200)
	rate = len(samples) / elapsed
	p50, p95 = statistics.median(latencies) if latencies else 0, percentile(latencies, 0.95)
	print(f"{clients} clients x {seconds} s against {url} ({site}): {len(samples)} requests")
	print(f"throughput {rate:>8.1f} req/s   target >= 120   {'met' if rate >= 120 else 'MISSED'}")
	print(f"p50        {p50:>8.1f} ms")
	print(f"p95        {p95:>8.1f} ms    target <= 600   {'met' if p95 <= 600 else 'MISSED'}")
	print(f"errors     {errors:>8d}       target 0        {'met' if errors == 0 else 'MISSED'}")
	for kind, _weight in MIX:
		mine = [ms for k, ms, _s in samples if k == kind]
		if mine:
			print(
				f"  {kind:<16} {len(mine):>6} requests, p50 {statistics.median(mine):7.1f} ms, p95 {percentile(mine, 0.95):7.1f} ms"
			)
	for error in [e for worker in workers for e in worker.errors][:5]:
		print(f"  error: {error}")
	plan["acknowledged"] = {
		"interactions": [s for worker in workers for s in worker.interactions],
		"tags": [t for worker in workers for t in worker.tags],
	}
	with open(path, "w") as handle:
		json.dump(plan, handle)
	return {"requests": len(samples), "rate": rate, "p50": p50, "p95": p95, "errors": errors}


def floor(url: str, site: str, path: str, clients: int = 50, seconds: int = 20) -> float:
	"""What the server answers when the app does nothing: the same clients and token auth on Frappe's bare
	`ping`, the ceiling any mix can reach on this machine. Printed beside the mix, never a target."""
	_plan, workers, elapsed = run_clients(url, site, path, clients, seconds, floor=True)
	clients, seconds = len(workers), min(int(seconds), MAX_SECONDS)
	samples = [sample for worker in workers for sample in worker.samples]
	rate = len(samples) / elapsed
	errors = sum(1 for _kind, _ms, status in samples if status != 200)
	print(
		f"floor: Frappe's bare ping, same {clients} clients and token auth, {seconds} s: {rate:.1f} req/s, {errors} errors"
	)
	return rate


if __name__ == "__main__":
	if sys.argv[1:2] == ["--floor"]:
		floor(*sys.argv[2:])
	else:
		main(*sys.argv[1:])
