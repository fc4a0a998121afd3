"""Replica tier (scripts/replica_tier.sh): a site with ``read_from_replica`` reads from its replica, writes to
its primary, and never caches what a lagging replica answered.

The tier starts a MariaDB primary and a replica of its own, creates a site on the primary with
``read_from_replica``, ``replica_host`` and ``replica_db_port``, serves it on loopback and runs:

	bench --site S execute crm_module.tests.replica_check.prepare --kwargs "{'path': P, 'replica_port': 3408}"
	env/bin/python -m crm_module.tests.replica_check URL S P --primary 3407 --replica 3408 --admin USER:PASS

The clients are the demo's rep and manager (`crm_module.setup.demo`) with API tokens. Every request goes
through the served site; the two servers run with user statistics and are watched with ``SHOW USER_STATISTICS``
(what the site's own account did on each: the replication thread is not that account) and ``SHOW GLOBAL
VARIABLES`` (GTID positions); SHOW statements move none of these counters. Checks:

* reads: every GET endpoint of the app, Frappe's desk list (`frappe.desk.reportview.get`) and every report of the
  app (`frappe.desk.query_report.run`) answers 200 with the site account's selects on the replica rising and
  not one statement that writes from it there;
* writes: POST endpoints answer 200, the site account's rows inserted/updated on the primary rise, its writes on
  the replica stay 0, and the written rows reach the replica by replication;
* lag: with the replica's SQL thread stopped, a lead created on the primary is missing from the replica and from
  the dashboard (the replica answered); once replication resumes and has caught up the dashboard counts it and
  equals the figures computed on the primary (so the stale figures were not cached under the generation the
  write started).

The last line names what was proved (scripts/replica_tier.sh puts it in the test summary).
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# what the site's own database account did on a server (MariaDB user statistics, `--userstat`): the replication
# thread applying the primary's changes is not that account, so on the replica these count client work only
ACCOUNT = ("Select_commands", "Update_commands", "Rows_inserted", "Rows_updated", "Rows_deleted")
ACCOUNT_WRITES = ("Update_commands", "Rows_inserted", "Rows_updated", "Rows_deleted")
REPORTS = {
	"CRM Churn Risk": {},
	"CRM Conversion Metrics": {},
	"CRM Customer Health Overview": {},
	"CRM Duplicate Candidates": {"doctype": "CRM Customer Profile"},
	"CRM Pipeline Forecast": {},
	"CRM Revenue Forecast": {},
	"CRM Target Attainment": {},
}


# ---------------------------------------------------------------- in the site (bench execute)


def prepare(path: str, replica_port: int) -> dict:
	"""The demo data, API tokens for a rep and the manager, and the records the checks open, in `path`; then the
	site reads from the replica on 127.0.0.1:`replica_port` (and runs no scheduled jobs)."""
	import frappe
	from frappe.installer import update_site_config

	from crm_module import constants
	from crm_module.setup import demo
	from crm_module.tests.api_case import CRMAPITestCase

	demo.make_demo()
	rep, manager = demo.REPS[0], demo.MANAGER
	customers = frappe.get_all(
		constants.CUSTOMER, filters={"account_owner": rep}, pluck="name", order_by="name", limit=2
	)
	lead = frappe.get_all(constants.LEAD, filters={"lead_owner": rep}, pluck="name", order_by="name", limit=1)
	tag = frappe.get_doc({"doctype": constants.TAG, "tag_name": "REPLICA-TIER"}).insert(
		ignore_permissions=True
	)
	plan = {
		"site": frappe.local.site,
		"tag": tag.name,
		"rep": {"user": rep, "token": CRMAPITestCase.api_token(rep)},
		"manager": {"user": manager, "token": CRMAPITestCase.api_token(manager)},
		"customers": customers,
		"lead": lead[0] if lead else None,
	}
	frappe.db.commit()
	Path(path).write_text(json.dumps(plan))
	config = {"pause_scheduler": 1, "replica_host": "127.0.0.1", "replica_db_port": int(replica_port)}
	for key, value in {**config, "read_from_replica": 1}.items():
		update_site_config(key, value)
	return {"customers": len(customers), "lead": plan["lead"]}


def primary_dashboard(user: str, path: str) -> None:
	"""The dashboard of `user` computed on the primary (no cache, no replica), as the endpoint returns it, in
	`path`."""
	import frappe

	from crm_module.api.dashboard import as_seed_keys
	from crm_module.services.reporting import metrics

	frappe.set_user(user)
	Path(path).write_text(frappe.as_json(as_seed_keys(metrics.compute_dashboard(user))))


# ---------------------------------------------------------------- the driver (bench's Python, outside the site)


class Server:
	"""An admin connection to one of the tier's MariaDB servers."""

	def __init__(self, name: str, port: int, user: str, password: str):
		import pymysql

		self.name = name
		self.connection = pymysql.connect(
			host="127.0.0.1", port=port, user=user, password=password, autocommit=True
		)

	def rows(self, sql: str, *args) -> list[tuple]:
		with self.connection.cursor() as cursor:
			cursor.execute(sql, args)
			return list(cursor.fetchall())

	def counters(self, account: str) -> dict[str, int]:
		"""The server's Com_select and what `account` did there; SHOW statements move neither."""
		found = {"Com_select": int(self.rows("show global status like 'Com_select'")[0][1])}
		found.update(dict.fromkeys(ACCOUNT, 0))
		with self.connection.cursor() as cursor:
			cursor.execute("show user_statistics")
			columns = [column[0] for column in cursor.description]
			for row in cursor.fetchall():
				stats = dict(zip(columns, row, strict=True))
				if stats["User"] == account:
					found.update({name: int(stats[name]) for name in ACCOUNT})
		return found

	def variable(self, name: str) -> str:
		rows = self.rows("show global variables like %s", name)
		return rows[0][1] if rows else ""


class Checks:
	def __init__(self):
		self.passed = 0
		self.failed = 0

	def check(self, ok: bool, what: str, detail: str = "") -> bool:
		if ok:
			self.passed += 1
			print(f"ok - {what}")
		else:
			self.failed += 1
			print(f"FAIL - {what}{': ' + detail if detail else ''}")
		return ok


class Driver:
	def __init__(self, url: str, site: str, plan: dict, primary: Server, replica: Server):
		import requests

		self.url, self.site, self.plan = url.rstrip("/"), site, plan
		self.primary, self.replica = primary, replica
		self.sessions = {}
		for who in ("rep", "manager"):
			session = requests.Session()
			session.headers.update({"Authorization": f"token {plan[who]['token']}", "Host": site})
			self.sessions[who] = session
		self.checks = Checks()
		self.reads = 0
		self.replica_selects = 0
		self.writes = 0

	# ---- servers

	def caught_up(self, timeout: float = 60) -> bool:
		from crm_module.domain.replication import caught_up

		deadline = time.monotonic() + timeout
		while time.monotonic() < deadline:
			if caught_up(self.primary.variable("gtid_binlog_pos"), self.replica.variable("gtid_slave_pos")):
				return True
			time.sleep(0.2)
		return False

	def snapshot(self) -> tuple[dict, dict]:
		account = self.plan["db_name"]
		return self.primary.counters(account), self.replica.counters(account)

	@staticmethod
	def delta(after: dict, before: dict, names=ACCOUNT_WRITES) -> dict[str, int]:
		return {name: after[name] - before[name] for name in names if after[name] != before[name]}

	# ---- requests

	def call(self, who: str, method: str, endpoint: str, params=None, body=None):
		response = self.sessions[who].request(
			method, f"{self.url}/api/method/{endpoint}", params=params, json=body, timeout=120
		)
		try:
			message = response.json().get("message")
		except ValueError:
			message = None
		return response.status_code, message, response.text

	def read(self, who: str, endpoint: str, params=None, label: str | None = None):
		"""A GET answered by the replica: 200, the replica's Com_select rises, no write reaches it."""
		label = label or endpoint
		self.replica_caught_up_or_fail()
		primary_before, replica_before = self.snapshot()
		status, message, text = self.call(who, "GET", endpoint, params=params)
		primary_after, replica_after = self.snapshot()
		selects = replica_after["Select_commands"] - replica_before["Select_commands"]
		com_select = replica_after["Com_select"] - replica_before["Com_select"]
		on_primary = primary_after["Select_commands"] - primary_before["Select_commands"]
		writes = self.delta(replica_after, replica_before)
		ok = self.checks.check(
			status == 200 and selects > 0 and not writes,
			f"GET {label} as {who}: answered by the replica ({selects} selects there, "
			f"{on_primary} on the primary: the session and API key)",
			f"HTTP {status}, replica selects {selects}, writes {writes}: {text[:300]}",
		)
		if ok:
			self.reads += 1
			self.replica_selects += com_select
		return message

	def write(self, who: str, endpoint: str, body: dict, label: str):
		"""A POST that lands on the primary only: 200, the primary's write counters rise, the replica's do not."""
		primary_before, replica_before = self.snapshot()
		status, message, text = self.call(who, "POST", endpoint, body=body)
		primary_after, replica_after = self.snapshot()
		on_primary = self.delta(primary_after, primary_before)
		on_replica = self.delta(replica_after, replica_before)
		ok = self.checks.check(
			status == 200
			and on_primary.get("Rows_inserted", 0) + on_primary.get("Rows_updated", 0) > 0
			and not on_replica,
			f"POST {label}: written on the primary ({', '.join(f'{k} +{v}' for k, v in on_primary.items())}), "
			"nothing written on the replica",
			f"HTTP {status}, replica writes {on_replica}: {text[:300]}",
		)
		if ok:
			self.writes += 1
		return message

	def sql_thread(self) -> str:
		with self.replica.connection.cursor() as cursor:
			cursor.execute("show slave status")
			row = cursor.fetchone()
			columns = [column[0] for column in cursor.description or ()]
		return dict(zip(columns, row, strict=False)).get("Slave_SQL_Running", "") if row else ""

	def replica_caught_up_or_fail(self) -> None:
		if not self.caught_up():
			self.checks.check(False, "the replica catches up with the primary within 60 s")

	# ---- the checks

	def reads_phase(self) -> None:
		plan = self.plan
		customer = plan["customers"][0] if plan["customers"] else None
		today = time.strftime("%Y-%m-%d")
		month_start = today[:8] + "01"
		reads = [
			("rep", "crm_module.api.dashboard.get", None),
			("rep", "crm_module.api.dashboard.trend", None),
			("rep", "crm_module.api.dashboard.targets", None),
			("manager", "crm_module.api.dashboard.get", {"userId": plan["rep"]["user"]}),
			("rep", "crm_module.api.customers.get", {"customerId": customer}),
			("rep", "crm_module.api.customer_360.get", {"customer": customer}),
			("rep", "crm_module.api.interactions.get", {"customerId": customer}),
			("rep", "crm_module.api.opportunities.get", None),
			("rep", "crm_module.api.opportunities.get", {"customerId": customer}),
			("rep", "crm_module.api.leads.get", None),
			("rep", "crm_module.api.calendar.get_events", {"start": month_start, "end": today}),
			("manager", "crm_module.api.merge.candidates", {"doctype": "CRM Customer Profile"}),
			("rep", "crm_module.api.scoring.get_latest_health_score", {"customer": customer}),
		]
		if plan.get("lead"):
			reads.append(("rep", "crm_module.api.scoring.get_score_history", {"lead": plan["lead"]}))
		if len(plan["customers"]) > 1:
			pair = {"doctype": "CRM Customer Profile", "survivor": customer, "loser": plan["customers"][1]}
			reads.append(("manager", "crm_module.api.merge.preview", pair))
		for who, endpoint, params in reads:
			self.read(who, endpoint, params, f"{endpoint.removeprefix('crm_module.api.')}")
		for doctype in ("CRM Customer Profile", "CRM Sales Lead", "CRM Opportunity", "CRM Interaction"):
			params = {"doctype": doctype, "fields": json.dumps(["name"]), "page_length": 20}
			self.read("rep", "frappe.desk.reportview.get", params, f"desk list of {doctype}")
		for report, filters in REPORTS.items():
			params = {"report_name": report, "filters": json.dumps(filters)}
			self.read("manager", "frappe.desk.query_report.run", params, f"report {report}")

	def writes_phase(self) -> None:
		plan = self.plan
		customer = plan["customers"][0]
		run = time.strftime("%H%M%S")
		subject = f"REPLICA-{run} call"
		self.write(
			"rep",
			"crm_module.api.interactions.post",
			{"customerId": customer, "subject": subject, "interactionType": "Call"},
			"interactions.post (log a call)",
		)
		lead = self.write(
			"rep",
			"crm_module.api.leads.post",
			{"action": "create", "data": {"name": f"Replica Lead {run}", "source": "referral"}},
			"leads.post (create a lead)",
		)
		self.write(
			"rep",
			"crm_module.api.customers.post",
			{
				"action": "profile",
				"customerId": customer,
				"data": {"website": f"https://replica-{run}.example.com"},
			},
			"customers.post (update a profile)",
		)
		self.write(
			"rep",
			"crm_module.api.sales.add_tag",
			{"doctype": "CRM Customer Profile", "name": customer, "tag": plan["tag"]},
			"sales.add_tag",
		)
		self.checks.check(self.caught_up(), "the replica catches up after the writes")
		found = self.replica.rows(
			f"select count(*) from `{self.database()}`.`tabCRM Interaction` where subject = %s", subject
		)[0][0]
		self.checks.check(found == 1, "the logged call reached the replica by replication", f"found {found}")
		if isinstance(lead, dict) and lead.get("name"):
			found = self.replica.rows(
				f"select count(*) from `{self.database()}`.`tabCRM Sales Lead` where name = %s", lead["name"]
			)[0][0]
			self.checks.check(found == 1, "the new lead reached the replica by replication", f"found {found}")

	def database(self) -> str:
		return self.plan["db_name"]

	def dashboard(self) -> tuple[int, dict | None, int, str]:
		"""The rep's dashboard: (HTTP status, figures, selects the site's account ran on the replica, text)."""
		before = self.snapshot()[1]["Select_commands"]
		status, figures, text = self.call("rep", "GET", "crm_module.api.dashboard.get")
		return status, figures, self.snapshot()[1]["Select_commands"] - before, text

	def lag_phase(self, bench: str) -> None:
		"""A write while the replica lags: the dashboard shows the replica's (old) figures and does not keep them."""
		check = self.checks.check
		self.replica_caught_up_or_fail()
		status, before, selects, text = self.dashboard()
		check(
			status == 200 and selects > 0,
			f"dashboard.get computed on the caught-up replica ({selects} selects)",
			text,
		)
		status, again, selects, text = self.dashboard()
		check(
			status == 200 and again == before and selects == 0,
			"dashboard.get again: served from the cache (0 selects on the replica): a caught-up replica's figures "
			"are cached",
			f"HTTP {status}, {selects} selects: {text[:200]}",
		)
		self.replica.rows("stop slave sql_thread")
		try:
			check(self.sql_thread() == "No", "the replica's SQL thread is stopped (replication lags)")
			lead = self.write(
				"rep",
				"crm_module.api.leads.post",
				{"action": "create", "data": {"name": f"Lagging Lead {time.strftime('%H%M%S')}"}},
				"leads.post while the replica lags",
			)
			name = lead.get("name") if isinstance(lead, dict) else None
			table = f"`{self.database()}`.`tabCRM Sales Lead`"
			on_primary = self.primary.rows(f"select count(*) from {table} where name = %s", name)[0][0]
			on_replica = self.replica.rows(f"select count(*) from {table} where name = %s", name)[0][0]
			check(
				(on_primary, on_replica) == (1, 0),
				f"the new lead {name} is on the primary and not on the replica",
				f"primary {on_primary}, replica {on_replica}",
			)
			for attempt in (1, 2):
				status, figures, selects, text = self.dashboard()
				leads = figures.get("totalLeads") if isinstance(figures, dict) else None
				check(
					status == 200 and figures == before and selects > 0,
					f"dashboard.get while the replica lags (#{attempt}): the replica's figures without the new lead "
					f"(totalLeads {leads}), computed there ({selects} selects), not from a cache",
					f"HTTP {status}, {selects} selects: {text[:300]}",
				)
		finally:
			self.replica.rows("start slave sql_thread")
		check(self.caught_up(), "replication resumes and the replica catches up")
		status, after, selects, text = self.dashboard()
		expected = (before or {}).get("totalLeads", 0) + 1
		got = (after or {}).get("totalLeads") if isinstance(after, dict) else None
		check(
			status == 200 and got == expected and selects > 0,
			f"after the lag the dashboard counts the new lead (totalLeads {got}, expected {expected}; {selects} "
			"selects on the replica): the lagging replica's figures had not been cached",
			f"HTTP {status}: {text[:300]}",
		)
		status, again, selects, text = self.dashboard()
		check(
			status == 200 and again == after and selects == 0,
			"dashboard.get again: cached now that the replica has caught up (0 selects)",
			f"HTTP {status}, {selects} selects: {text[:200]}",
		)
		primary = self.primary_dashboard(bench)
		check(
			primary is not None and after == primary,
			"after the lag the dashboard equals the figures computed on the primary",
			f"endpoint {json.dumps(after)[:200]} / primary {json.dumps(primary)[:200]}",
		)

	def primary_dashboard(self, bench: str) -> dict | None:
		"""The rep's dashboard computed on the primary, through `bench execute` (no replica, no cache)."""
		path = Path(f"/tmp/crm-replica-primary-{self.site}.json")
		kwargs = json.dumps({"user": self.plan["rep"]["user"], "path": str(path)})
		command = [
			f"{bench}/env/bin/python",
			"-m",
			"frappe.utils.bench_helper",
			"frappe",
			"--site",
			self.site,
		]
		command += ["execute", "crm_module.tests.replica_check.primary_dashboard", "--kwargs", kwargs]
		done = subprocess.run(command, cwd=f"{bench}/sites", check=False, capture_output=True, text=True)
		if done.returncode:
			print(done.stderr[-1000:])
		figures = json.loads(path.read_text()) if path.exists() else None
		path.unlink(missing_ok=True)
		return figures

	def run(self, bench: str) -> int:
		self.checks.check(self.caught_up(), "the replica has caught up with the primary")
		self.reads_phase()
		self.writes_phase()
		self.lag_phase(bench)
		c = self.checks
		print(f"replica checks: {c.passed} passed, {c.failed} failed")
		if not c.failed:
			print(
				f"replica proved: {self.reads} GETs and reports answered by the replica (Com_select "
				f"+{self.replica_selects}), {self.writes} writes on the primary only; lag: the dashboard showed the "
				"replica's stale figures, cached none, and was right after catch-up (equal to the primary's)"
			)
		return 1 if c.failed else 0


def main(argv: list[str] | None = None) -> int:
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("url")
	parser.add_argument("site")
	parser.add_argument("plan")
	parser.add_argument("--primary", type=int, required=True, help="the primary's port on 127.0.0.1")
	parser.add_argument("--replica", type=int, required=True, help="the replica's port on 127.0.0.1")
	parser.add_argument("--admin", required=True, help="USER:PASSWORD of an admin account on both")
	parser.add_argument("--bench", default=str(Path.cwd()))
	args = parser.parse_args(argv)
	if urlparse(args.url).hostname not in LOOPBACK:
		parser.error("only a loopback URL is accepted")
	plan = json.loads(Path(args.plan).read_text())
	user, _, password = args.admin.partition(":")
	primary = Server("primary", args.primary, user, password)
	replica = Server("replica", args.replica, user, password)
	site_config = json.loads(Path(args.bench, "sites", args.site, "site_config.json").read_text())
	plan["db_name"] = site_config["db_name"]
	return Driver(args.url, args.site, plan, primary, replica).run(args.bench)


if __name__ == "__main__":
	sys.exit(main())
