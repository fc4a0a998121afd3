"""Benchmark (not a test): a burst of 1,000 web-to-lead submissions against a served site, then a check
that the rate limit held and that every distinct email became exactly one lead.

Run it through `scripts/benchmark.sh web-lead`, which serves the site with gunicorn on loopback and runs:

	bench --site S execute crm_module.benchmarks.web_lead.prepare --kwargs "{'path': '/tmp/wl.json'}"
	env/bin/python -m crm_module.benchmarks.web_lead http://127.0.0.1:8021 S /tmp/wl.json
	bench --site S execute crm_module.benchmarks.web_lead.verify --kwargs "{'path': '/tmp/wl.json'}"

The burst, as guests from simulated addresses (Frappe takes the first ``X-Forwarded-For`` address as
`frappe.local.request_ip`, the address its rate limit counts):

* phase 1, concurrently: one address sending 50 first (over the per-IP limit: its first `RATE_LIMIT` pass,
  the rest must be 429), then 800 new emails from 160 addresses (5 each, under the limit);
* phase 2, after phase 1: 130 of phase 1's emails again (each must add an interaction, no lead) and
  20 honeypot submissions (must store nothing), from 30 fresh addresses.

Only loopback URLs are accepted. `verify` prints the figures, restores the form's settings and deletes
the run's leads and interactions.
"""

import json
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlparse

METHOD = "crm_module.api.web_lead.submit"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
NEW_EMAILS, PER_IP, THROTTLED_SENDS, REPEATS, BOTS = 800, 5, 50, 130, 20
TOTAL = NEW_EMAILS + THROTTLED_SENDS + REPEATS + BOTS  # 1,000
TARGET_SECONDS = 60
THREADS = 16
SETTINGS_FIELDS = ("enabled", "consent_text", "default_territory", "notify_owner", "default_owner")


# ---------------------------------------------------------------- in the site (bench execute)


def prepare(path: str) -> dict:
	"""Enable the form (saving what was set before into the plan), a territory with two reps for the
	routing, and a run id that names every email of the run."""
	import frappe

	from crm_module import constants
	from crm_module.api.web_lead import RATE_LIMIT
	from crm_module.services import web_lead
	from crm_module.tests.factories import make_territory, make_user

	frappe.set_user("Administrator")
	run_id = frappe.generate_hash(length=6).lower()
	settings = frappe.get_doc(web_lead.SETTINGS)
	before = {f: settings.get(f) for f in SETTINGS_FIELDS}
	reps = [make_user(f"weblead.bench.rep{i}@example.com", (constants.ROLE_USER,)) for i in (1, 2)]
	territory = "Web Lead Bench"
	if not frappe.db.exists(constants.TERRITORY, territory):
		make_territory(territory, reps=reps)
	settings.update(
		{
			"enabled": 1,
			"consent_text": "I agree that my details are stored to answer my request.",
			"default_territory": territory,
			"notify_owner": 0,  # the routed rep's assignment notifies them already
			"default_owner": None,
		}
	)
	settings.save(ignore_permissions=True)
	frappe.db.commit()
	plan = {"run_id": run_id, "domain": f"wl-{run_id}.example", "before": before, "reps": reps}
	plan["territory"] = territory
	plan["rate_limit"] = RATE_LIMIT
	with open(path, "w") as f:
		json.dump(plan, f)
	print(f"web-lead run {run_id}: form enabled, territory {territory} -> {', '.join(reps)}")
	return plan


def verify(path: str) -> dict:
	"""One lead per distinct accepted email, an interaction per repeat, nothing for the bots; then clean up."""
	import frappe
	from frappe.query_builder.functions import Count

	from crm_module import constants
	from crm_module.services import web_lead

	with open(path) as f:
		plan = json.load(f)
	with open(path + ".result") as f:
		result = json.load(f)
	like = f"%@{plan['domain']}"
	lead = frappe.qb.DocType(constants.LEAD)
	rows = (
		frappe.qb.from_(lead)
		.select(lead.email_id, Count("*").as_("n"))
		.where(lead.email_id.like(like))
		.groupby(lead.email_id)
	).run(as_dict=True)
	names = frappe.get_all(constants.LEAD, filters={"email_id": ("like", like)}, pluck="name")
	per_email = {r.email_id: r.n for r in rows}
	accepted_new = set(result["accepted_new_emails"])
	owners = frappe.get_all(
		constants.LEAD,
		filters={"name": ("in", names or [""])},
		fields=["lead_owner", "count(*) as n"],
		group_by="lead_owner",
	)
	interactions = frappe.get_all(
		constants.INTERACTION,
		filters={"lead": ("in", names or [""]), "subject": "Web Form submission"},
		pluck="name",
	)
	consent = frappe.db.count(
		constants.LEAD, {"email_id": ("like", like), "consent_at": ("is", "set"), "source": "Web Form"}
	)
	scored = frappe.db.count(constants.LEAD_SCORE, {"lead": ("in", names or [""])})
	bots = sum(per_email.get(e, 0) for e in result["bot_emails"])
	print("-- stored")
	print(f"leads of the run: {len(names)} for {len(per_email)} distinct emails")
	print(f"emails with more than one lead: {sum(1 for n in per_email.values() if n > 1)} (target 0)")
	print(f"accepted new emails without a lead: {len(accepted_new - set(per_email))} (target 0)")
	print(f"leads for emails never accepted: {len(set(per_email) - accepted_new)} (target 0)")
	print(f"leads from honeypot submissions: {bots} (target 0)")
	print(
		f"repeat submissions accepted: {result['accepted_repeats']}, interactions on leads: {len(interactions)}"
	)
	print(f"leads with consent and source Web Form: {consent} of {len(names)}; scored: {scored}")
	print("routed: " + ", ".join(f"{o.lead_owner or '-'} {o.n}" for o in owners))
	# restore the settings, delete the run's rows
	settings = frappe.get_doc(web_lead.SETTINGS)
	settings.update(plan["before"])
	settings.save(ignore_permissions=True)
	for doctype, field in (
		(constants.INTERACTION, "lead"),
		(constants.LEAD_SCORE, "lead"),
		("ToDo", "reference_name"),
		("Notification Log", "document_name"),
	):
		if names:
			frappe.db.delete(doctype, {field: ("in", names)})
	if names:
		frappe.db.delete(constants.LEAD, {"name": ("in", names)})
	frappe.db.commit()
	return {"leads": len(names), "distinct": len(per_email)}


# ---------------------------------------------------------------- the client (plain Python)


def post(url: str, site: str, ip: str, body: dict) -> tuple[int, float]:
	data = urlencode(body).encode()
	request = urllib.request.Request(
		f"{url}/api/method/{METHOD}",
		data=data,
		method="POST",
		headers={"Host": site, "X-Forwarded-For": ip, "Accept": "application/json"},
	)
	start = time.perf_counter()
	try:
		with urllib.request.urlopen(request, timeout=60) as response:
			response.read()
			status = response.status
	except urllib.error.HTTPError as e:
		e.read()
		status = e.code
	except OSError:
		status = 0  # connection refused / reset: counted apart from HTTP answers
	return status, time.perf_counter() - start


def submission(email: str, **extra) -> dict:
	return {
		"lead_name": f"Bench {email.split('@')[0]}",
		"email_id": email,
		"company_name": "Burst Corp",
		"consent": 1,
		"utm_source": "benchmark",
		**extra,
	}


def run_phase(url: str, site: str, jobs: list[tuple[str, str, dict]], results: list) -> None:
	lock, queue = threading.Lock(), list(reversed(jobs))

	def worker():
		while True:
			with lock:
				if not queue:
					return
				kind, ip, body = queue.pop()
			status, seconds = post(url, site, ip, body)
			with lock:
				results.append((kind, ip, body["email_id"], status, seconds))

	threads = [threading.Thread(target=worker) for _ in range(THREADS)]
	for t in threads:
		t.start()
	for t in threads:
		t.join()


def main(url: str, site: str, path: str) -> None:
	if urlparse(url).hostname not in LOOPBACK:
		raise SystemExit("only loopback URLs")
	with open(path) as f:
		plan = json.load(f)
	domain, limit = plan["domain"], plan["rate_limit"]
	throttled_ip = "10.99.0.1"
	phase1 = [
		("new", f"10.77.{i // PER_IP // 250}.{i // PER_IP % 250 + 1}", submission(f"p{i}@{domain}"))
		for i in range(NEW_EMAILS)
	]
	phase1 += [("throttled", throttled_ip, submission(f"t{i}@{domain}")) for i in range(THROTTLED_SENDS)]
	# the throttled address's 50 go first, within the first seconds of the burst (one rate-limit window)
	phase1.sort(key=lambda job: job[0] != "throttled")
	phase2 = [("repeat", f"10.88.0.{i % 30 + 1}", submission(f"p{i}@{domain}")) for i in range(REPEATS)]
	phase2 += [
		("bot", f"10.88.0.{i % 30 + 1}", submission(f"bot{i}@{domain}", fax_number="+1 555 0100"))
		for i in range(BOTS)
	]
	results: list = []
	start = time.perf_counter()
	run_phase(url, site, phase1, results)
	run_phase(url, site, phase2, results)
	elapsed = time.perf_counter() - start
	by_status: dict[int, int] = {}
	for *_, status, _s in results:
		by_status[status] = by_status.get(status, 0) + 1
	throttled = [r for r in results if r[0] == "throttled"]
	spread = [r for r in results if r[0] in ("new", "repeat", "bot")]
	latencies = sorted(r[4] * 1000 for r in results)
	print(
		f"-- burst: {len(results)} submissions in {elapsed:.1f} s (target <= {TARGET_SECONDS} s), {THREADS} clients"
	)
	print("status counts: " + ", ".join(f"{k}: {v}" for k, v in sorted(by_status.items())))
	print(
		f"5xx: {sum(v for k, v in by_status.items() if k >= 500)} (target 0); no answer: {by_status.get(0, 0)}"
	)
	print(
		f"throttled address {throttled_ip}: {sum(1 for r in throttled if r[3] == 200)} accepted, "
		f"{sum(1 for r in throttled if r[3] == 429)} x 429 of {len(throttled)} (limit {limit} per window)"
	)
	print(
		f"spread addresses: {sum(1 for r in spread if r[3] == 200)} of {len(spread)} accepted, "
		f"{sum(1 for r in spread if r[3] == 429)} x 429 (target 0)"
	)
	print(
		f"latency ms: p50 {statistics.median(latencies):.0f}, p95 {latencies[int(len(latencies) * 0.95) - 1]:.0f}, "
		f"max {latencies[-1]:.0f}"
	)
	accepted_new = sorted({r[2] for r in results if r[0] in ("new", "throttled") and r[3] == 200})
	with open(path + ".result", "w") as f:
		json.dump(
			{
				"accepted_new_emails": accepted_new,
				"accepted_repeats": sum(1 for r in results if r[0] == "repeat" and r[3] == 200),
				"bot_emails": [r[2] for r in results if r[0] == "bot"],
			},
			f,
		)


if __name__ == "__main__":
	main(sys.argv[1], sys.argv[2], sys.argv[3])
