"""Fault tier (issue 18, section 5): a served throwaway site survives a Redis cache that dies, a MariaDB that
restarts under 20 writing clients, and a nightly run killed in the middle of a step.

	python tests_faults/run_faults.py up --run DIR
	python tests_faults/run_faults.py check --run DIR --site S --url http://127.0.0.1:P --bench B
	python tests_faults/run_faults.py down --run DIR

`up` starts this tier's own servers on free loopback ports, with their data in DIR: a Redis for the site's
cache, a Redis for its queue (kept up, so the cache alone fails) and a MariaDB (`mariadb-install-db` into
DIR/db, utf8mb4) with an admin account; it writes DIR/servers.json. `down` stops them (by the process ids
they were started with) and deletes the keys the site left in the machine's Redis while it was created. The
machine's own Redis and MariaDB are never stopped. `scripts/fault_tier.sh` creates the site on these servers,
serves it with gunicorn on loopback and loads the fixture (`crm_module.benchmarks.faults.prepare`, which
writes DIR/plan.json) between `up` and `check`.

`check` runs three faults and prints one PASS/FAIL line per check, then "fault checks: N passed, M failed":

* **Redis cache killed** (SIGKILL) while a rep reads (dashboard, pipeline, history, desk list, a document)
  and writes (interaction, opportunity, lead, customer) with an API key; records what each answers, then
  restarts it. Every answer must be 2xx (or a 503 that says why); every acknowledged write is stored once,
  every refused one left nothing; the dashboard counts a deal written during the outage at once; after the
  restart every request answers again with the same figures.
* **MariaDB restarted** twice (a clean shutdown, then SIGKILL) while 20 clients log interactions, each
  with a unique subject sent as its `Idempotency-Key`, retrying a write that got a 5xx or no answer with the
  same key. Every acknowledged write must be stored exactly once, none twice (a write can commit and still
  answer 500: the key makes its retry answer with it), each with its timeline row.
* **Nightly run killed** (SIGKILL of `bench execute crm_module.services.daily.run_daily`) inside step 2
  (scoring), started again and killed inside step 3 (health), then run to the end. To land inside a step
  on any machine, the driver holds one row the step updates locked (a lead, then a customer): the step
  stops there with rows written and not committed, and is killed while it waits. Each kill must leave none
  of its step's rows; the next run resumes at the killed step; at the end there is one health row per
  customer and one lead score per active lead for the day, one Red digest per account owner and one
  timeline entry per customer that fell into Red, and running the whole day again (`restart=True`)
  changes none of those counts.

Plain Python with the bench's own packages (requests, PyMySQL, redis); neither pytest's `tests/` nor Frappe's
run-tests collects this folder. Only loopback addresses are used.
"""

import argparse
import json
import os
import pickle
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pymysql
import redis
import requests

ADMIN = "crm_fault_root"
LOOPBACK = "127.0.0.1"
INTERACTION, OPPORTUNITY, LEAD, CUSTOMER = (
	"CRM Interaction",
	"CRM Opportunity",
	"CRM Sales Lead",
	"CRM Customer Profile",
)
TIMELINE, HEALTH, LEAD_SCORE = "CRM Activity Timeline", "CRM Customer Health Score", "CRM Lead Score"
LEAD_ACTIVE_STATUSES = ("New", "Contacted", "Qualified")  # crm_module.domain.statuses
DAILY_KEY = "crm_module:daily_run:"  # crm_module.services.daily.done_key

results: list[tuple[bool, str]] = []


def check(ok: bool, name: str, detail: str = "") -> bool:
	results.append((bool(ok), name))
	print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
	return bool(ok)


def info(text: str) -> None:
	print(f"     {text}", flush=True)


# ---------------------------------------------------------------- servers this tier starts itself


def free_port(preferred: int) -> int:
	for port in (preferred, 0):
		with socket.socket() as sock:
			try:
				sock.bind((LOOPBACK, port))
			except OSError:
				continue
			return sock.getsockname()[1]
	raise RuntimeError("no free loopback port")


def alive(pid: int | None) -> bool:
	"""True while `pid` runs (a zombie counts as gone)."""
	if not pid:
		return False
	try:
		state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
	except (OSError, IndexError):
		return False
	return state not in ("Z", "X")


class Server:
	"""One server process this tier started: `argv` runs it in the foreground; `ready()` says it answers."""

	def __init__(self, run: Path, spec: dict):
		self.run, self.spec, self.proc = run, spec, None

	@property
	def name(self) -> str:
		return self.spec["name"]

	@property
	def pid(self) -> int | None:
		return self.spec.get("pid")

	def ready(self) -> bool:
		try:
			if self.spec["kind"] == "redis":
				return redis.Redis(host=LOOPBACK, port=self.spec["port"], socket_timeout=1).ping()
			pymysql.connect(unix_socket=self.spec["socket"], user="root", connect_timeout=1).close()
			return True
		except Exception:
			return False

	def start(self, timeout: float = 90) -> float:
		started = time.monotonic()
		with open(self.spec["log"], "ab") as log:
			self.proc = subprocess.Popen(
				self.spec["argv"],
				stdout=log,
				stderr=subprocess.STDOUT,
				stdin=subprocess.DEVNULL,
				start_new_session=True,
			)
		self.spec["pid"] = self.proc.pid
		while not self.ready():
			if self.proc.poll() is not None:
				raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.spec['log']}")
			if time.monotonic() - started > timeout:
				raise RuntimeError(f"{self.name} did not answer within {timeout} s; see {self.spec['log']}")
			time.sleep(0.1)
		return time.monotonic() - started

	def stop(self, sig: int = signal.SIGTERM, timeout: float = 90) -> None:
		pid = self.pid
		if not alive(pid):
			return
		os.kill(pid, sig)
		deadline = time.monotonic() + timeout
		while alive(pid):
			if self.proc is not None:
				try:
					self.proc.wait(timeout=0.1)
				except subprocess.TimeoutExpired:
					pass
			else:
				time.sleep(0.1)
			if time.monotonic() > deadline:
				os.kill(pid, signal.SIGKILL)
				deadline = time.monotonic() + timeout


def load_servers(run: Path) -> dict[str, Server]:
	state = json.loads((run / "servers.json").read_text())
	return {name: Server(run, spec) for name, spec in state["servers"].items()}


def save_servers(run: Path, servers: dict[str, Server], **extra) -> None:
	path = run / "servers.json"
	state = json.loads(path.read_text()) if path.exists() else {}
	state.update(extra)
	state["servers"] = {name: server.spec for name, server in servers.items()}
	path.write_text(json.dumps(state, indent=1))
	path.chmod(0o600)


def redis_spec(run: Path, name: str, port: int) -> dict:
	argv = [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", LOOPBACK]
	argv += ["--save", "", "--appendonly", "no", "--dir", str(run), "--protected-mode", "yes"]
	return {"name": name, "kind": "redis", "port": port, "argv": argv, "log": str(run / f"{name}.log")}


def mariadb_spec(run: Path, port: int) -> dict:
	mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
	argv = [
		mariadbd,
		"--no-defaults",
		f"--datadir={run / 'db'}",
		f"--port={port}",
		f"--bind-address={LOOPBACK}",
		f"--socket={run / 'mysqld.sock'}",
		f"--pid-file={run / 'mysqld.pid'}",
		f"--log-error={run / 'mariadb.log'}",
		"--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_unicode_ci",
		"--skip-name-resolve",
		"--skip-log-bin",
		"--innodb-buffer-pool-size=256M",
		"--innodb-flush-log-at-trx-commit=1",  # an acknowledged commit survives a crash
		"--max-connections=300",
	]
	return {
		"name": "mariadb",
		"kind": "mariadb",
		"port": port,
		"socket": str(run / "mysqld.sock"),
		"argv": argv,
		"log": str(run / "mariadb.log"),
	}


def up(run: Path) -> None:
	run.mkdir(parents=True, exist_ok=True)
	servers = {
		"redis_cache": Server(run, redis_spec(run, "redis_cache", free_port(6390))),
		"redis_queue": Server(run, redis_spec(run, "redis_queue", free_port(6391))),
	}
	install = [shutil.which("mariadb-install-db") or "mariadb-install-db", "--no-defaults"]
	install += [f"--datadir={run / 'db'}", "--auth-root-authentication-method=normal", "--skip-test-db"]
	with open(run / "mariadb-install.log", "wb") as log:
		subprocess.run(install, stdout=log, stderr=subprocess.STDOUT, check=True)
	servers["mariadb"] = Server(run, mariadb_spec(run, free_port(3410)))
	for server in servers.values():
		server.start()
	password = secrets.token_hex(12)
	conn = pymysql.connect(unix_socket=servers["mariadb"].spec["socket"], user="root")
	with conn.cursor() as cursor:
		cursor.execute(f"CREATE USER '{ADMIN}'@'%' IDENTIFIED BY '{password}'")
		cursor.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{ADMIN}'@'%' WITH GRANT OPTION")
	conn.close()
	save_servers(run, servers, admin={"user": ADMIN, "password": password})
	for name, server in servers.items():
		print(f"{name}=127.0.0.1:{server.spec['port']}")
	print(f"admin_user={ADMIN}")
	print(f"admin_password={password}")


def down(run: Path, site_db: str | None = None, machine_redis: str | None = None) -> None:
	if (run / "servers.json").exists():
		for server in load_servers(run).values():
			server.stop()
	if site_db and machine_redis:
		# `bench new-site` ran on the bench's Redis before the site was pointed at this tier's own
		try:
			client = redis.Redis.from_url(machine_redis, socket_timeout=2)
			keys = list(client.scan_iter(match=f"{site_db}|*", count=1000))
			for start in range(0, len(keys), 500):
				client.delete(*keys[start : start + 500])
		except redis.RedisError as error:
			print(f"could not clear the site's keys in {machine_redis}: {error}")


# ---------------------------------------------------------------- the served site


class Api:
	def __init__(self, url: str, site: str, token: str | None = None):
		self.url = url.rstrip("/")
		self.session = requests.Session()
		self.session.headers["Host"] = site
		if token:
			self.session.headers["Authorization"] = f"token {token}"

	def call(self, method: str, path: str, timeout: float = 30, **kwargs) -> tuple[int, object]:
		"""(status, JSON body or text); status 0 when no answer came (refused, reset, timed out)."""
		try:
			response = self.session.request(method, self.url + path, timeout=timeout, **kwargs)
		except requests.RequestException as error:
			return 0, repr(error)
		try:
			return response.status_code, response.json()
		except ValueError:
			return response.status_code, response.text


def why(body) -> str:
	"""What an error answer says, shortly."""
	if isinstance(body, dict):
		text = body.get("exc_type") or body.get("exception") or body.get("_server_messages") or body
		return str(text)[:160]
	return str(body)[:160]


class Context:
	def __init__(self, args):
		self.run = Path(args.run)
		self.site, self.url, self.bench = args.site, args.url, Path(args.bench)
		self.servers = load_servers(self.run)
		self.plan = json.loads((self.run / "plan.json").read_text())
		self.site_config = json.loads((self.bench / "sites" / self.site / "site_config.json").read_text())
		self.db_name = self.site_config["db_name"]
		state = json.loads((self.run / "servers.json").read_text())
		self.admin = state["admin"]
		self.tag = f"FLT{self.plan['run']}"
		self.customers = self.plan["customers"]

	def api(self, token: str | None = None) -> Api:
		return Api(self.url, self.site, token or self.plan["token"])

	def db(self, admin: bool = False):
		user, password = (
			(self.admin["user"], self.admin["password"])
			if admin
			else (self.db_name, self.site_config["db_password"])
		)
		return pymysql.connect(
			host=LOOPBACK,
			port=self.servers["mariadb"].spec["port"],
			user=user,
			password=password,
			database=self.db_name,
			autocommit=True,
			connect_timeout=10,
		)

	def query(self, sql: str, params=(), admin: bool = False) -> list[tuple]:
		conn = self.db(admin)
		try:
			with conn.cursor() as cursor:
				cursor.execute(sql, params)
				return list(cursor.fetchall())
		finally:
			conn.close()

	def stored(self, table: str, field: str, keys: list[str]) -> dict[str, int]:
		"""{key: rows of `table` whose `field` is that key}."""
		if not keys:
			return {}
		marks = ", ".join(["%s"] * len(keys))
		rows = self.query(
			f"select `{field}`, count(*) from `tab{table}` where `{field}` in ({marks}) group by `{field}`",
			keys,
		)
		counts = dict.fromkeys(keys, 0)
		counts.update({key: int(n) for key, n in rows})
		return counts


# ---------------------------------------------------------------- (a) the Redis cache dies


def reads(ctx: Context) -> list[tuple[str, str, str, dict]]:
	customer = ctx.customers[0]
	fields = json.dumps([f"`tab{CUSTOMER}`.`name`", f"`tab{CUSTOMER}`.`modified`"])
	return [
		("dashboard", "GET", "/api/method/crm_module.api.dashboard.get", {}),
		("pipeline", "GET", "/api/method/crm_module.api.opportunities.get", {}),
		("history", "GET", "/api/method/crm_module.api.interactions.get", {"customerId": customer}),
		(
			"desk list",
			"GET",
			"/api/method/frappe.desk.reportview.get",
			{"doctype": CUSTOMER, "fields": fields, "page_length": 20},
		),
		("document", "GET", f"/api/resource/{CUSTOMER}/{customer}", {}),
	]


def writes(ctx: Context, key: str) -> list[tuple[str, str, dict, str, str]]:
	"""(label, path, body, table, field) of one write of each kind, `key` naming the record."""
	customer = ctx.customers[1 % len(ctx.customers)]
	return [
		(
			"interaction",
			"/api/method/crm_module.api.interactions.post",
			{"customerId": customer, "subject": key, "interactionType": "Call"},
			INTERACTION,
			"subject",
		),
		(
			"opportunity",
			"/api/method/crm_module.api.opportunities.post",
			{"action": "create", "data": {"customerId": customer, "name": key, "value": 1000}},
			OPPORTUNITY,
			"opportunity_name",
		),
		(
			"lead",
			"/api/method/crm_module.api.leads.post",
			{"action": "create", "data": {"name": key}},
			LEAD,
			"lead_name",
		),
		(
			"customer",
			"/api/method/crm_module.api.customers.post",
			{"action": "profile", "data": {"companyName": key}},
			CUSTOMER,
			"company_name",
		),
	]


def one_round(ctx: Context, phase: str, api: Api, log: list) -> None:
	"""Every read and every write once; `log` gets (phase, label, status, body, key, table, field)."""
	for label, method, path, params in reads(ctx):
		status, body = api.call(method, path, params=params)
		log.append((phase, label, status, body, None, None, None))
	key = f"{ctx.tag}-R-{phase}-{len(log)}"
	for label, path, body, table, field in writes(ctx, key):
		status, answer = api.call("POST", path, json=body)
		log.append((phase, label, status, answer, key, table, field))


def dashboard(api: Api) -> tuple[int, dict]:
	status, body = api.call("GET", "/api/method/crm_module.api.dashboard.get")
	return status, (body.get("message") if isinstance(body, dict) else {}) or {}


def password_login(ctx: Context) -> tuple[int, int, str]:
	"""(login status, status of a call with the session cookie, the user it answers for)."""
	api = Api(ctx.url, ctx.site)
	status, _body = api.call(
		"POST", "/api/method/login", json={"usr": ctx.plan["user"], "pwd": ctx.plan["password"]}
	)
	who_status, who = api.call("GET", "/api/method/frappe.auth.get_logged_user")
	return status, who_status, (who.get("message") if isinstance(who, dict) else str(who)[:80])


def redis_fault(ctx: Context) -> None:
	print("\n-- (a) the Redis cache is killed while a rep reads and writes", flush=True)
	api, log = ctx.api(), []
	cache = ctx.servers["redis_cache"]
	one_round(ctx, "up", api, log)
	bad = [f"{label} {status}" for _p, label, status, *_ in log if status != 200]
	check(not bad, "redis up: every read and write answers 200", ", ".join(bad))

	cache.stop(signal.SIGKILL)
	check(not cache.ready(), "redis killed: the cache port no longer answers", f"port {cache.spec['port']}")
	for _ in range(2):
		one_round(ctx, "down", api, log)
	_s, before = dashboard(api)
	deal = f"{ctx.tag}-R-deal"
	status, _body = api.call(
		"POST",
		"/api/method/crm_module.api.opportunities.post",
		json={"action": "create", "data": {"customerId": ctx.customers[0], "name": deal, "value": 4321}},
	)
	log.append(("down", "opportunity", status, _body, deal, OPPORTUNITY, "opportunity_name"))
	dash_status, during = dashboard(api)
	login, session_call, session_user = password_login(ctx)
	info(
		f"password login while Redis is down: {login}; a call with its session cookie: {session_call} ({session_user})"
	)

	down_log = [entry for entry in log if entry[0] == "down"]
	by_status: dict[int, int] = {}
	for entry in down_log:
		by_status[entry[2]] = by_status.get(entry[2], 0) + 1
	info(f"answers while Redis was down: {by_status}")
	unclear = [
		f"{label} {status} {why(body)}"
		for _p, label, status, body, *_ in down_log
		if (status >= 500 and status != 503) or status == 0
	]
	check(not unclear, "redis down: no 5xx except a clear 503, no dropped connection", "; ".join(unclear[:4]))
	failed_reads = [
		f"{label} {status}" for _p, label, status, _b, key, *_ in down_log if key is None and status != 200
	]
	check(
		not failed_reads,
		"redis down: dashboard, pipeline, history, desk list and document answer 200",
		", ".join(failed_reads),
	)
	check(
		dash_status == 200
		and during.get("totalOpportunities") == before.get("totalOpportunities", -10) + 1
		and round(during.get("pipelineValue", 0) - before.get("pipelineValue", 0), 2) == 4321,
		"redis down: a deal written meanwhile counts in the dashboard at once",
		f"open deals {before.get('totalOpportunities')} -> {during.get('totalOpportunities')}, "
		f"pipeline {before.get('pipelineValue')} -> {during.get('pipelineValue')}",
	)
	check(
		login == 200 and session_call == 200 and session_user == ctx.plan["user"],
		"redis down: password login and a call with its session cookie answer 200",
		f"{login} / {session_call} ({session_user})",
	)

	cache.start()
	for _ in range(2):
		one_round(ctx, "back", api, log)
	back_bad = [
		f"{label} {status} {why(body)}"
		for phase, label, status, body, *_ in log
		if phase == "back" and status != 200
	]
	check(not back_bad, "redis restarted: every read and write answers 200 again", "; ".join(back_bad[:4]))
	_s, after = dashboard(api)
	_s, again = dashboard(api)
	writes_back = sum(
		1 for phase, label, status, *_ in log if phase == "back" and label == "opportunity" and status == 200
	)
	check(
		after.get("totalOpportunities") == during.get("totalOpportunities", -10) + writes_back
		and after == again,
		"redis restarted: the dashboard is exact (every deal since counts) and cached again",
		f"open deals {during.get('totalOpportunities')} + {writes_back} -> {after.get('totalOpportunities')}",
	)

	# what each write left in the database: acknowledged once, refused nothing
	keyed = [
		(phase, label, status, key, table, field)
		for phase, label, status, _b, key, table, field in log
		if key
	]
	wrong = []
	for phase, label, status, key, table, field in keyed:
		rows = ctx.stored(table, field, [key])[key]
		expected = 1 if status == 200 else 0
		if rows != expected:
			wrong.append(f"{phase} {label} answered {status}, stored {rows}x")
	acked = sum(1 for entry in keyed if entry[2] == 200)
	check(
		not wrong,
		"redis fault: every acknowledged write stored once, every refused one left nothing",
		"; ".join([f"{acked} of {len(keyed)} writes acknowledged", *wrong[:4]]),
	)


# ---------------------------------------------------------------- (b) MariaDB restarts under 20 writers


class Writer(threading.Thread):
	"""Logs interactions with unique subjects until `stop_at`, retrying one on a 5xx or no answer with the
	same Idempotency-Key (the subject): a write that committed but whose answer was lost (Frappe starts the
	next transaction and runs after-commit work before it answers) is then answered, not logged again."""

	def __init__(self, ctx: Context, number: int, stop_at: float):
		super().__init__(daemon=True)
		self.ctx, self.number, self.stop_at = ctx, number, stop_at
		self.api = ctx.api()
		self.customer = ctx.customers[number % len(ctx.customers)]
		self.acked: list[str] = []
		self.retried: list[str] = []
		self.rejected: list[tuple[str, int, str]] = []
		self.abandoned: list[str] = []
		self.statuses: dict[int, int] = {}

	def write(self, key: str) -> None:
		body = {"customerId": self.customer, "subject": key, "interactionType": "Call"}
		give_up = time.monotonic() + 120
		attempts = 0
		while True:
			attempts += 1
			status, answer = self.api.call(
				"POST",
				"/api/method/crm_module.api.interactions.post",
				json=body,
				headers={"Idempotency-Key": key},
			)
			self.statuses[status] = self.statuses.get(status, 0) + 1
			if status == 200:
				self.acked.append(key)
				if attempts > 1:
					self.retried.append(key)
				return
			if status and status < 500:
				self.rejected.append((key, status, why(answer)))
				return
			if time.monotonic() > give_up:
				self.abandoned.append(key)
				return
			time.sleep(0.25)

	def run(self) -> None:
		sequence = 0
		while time.monotonic() < self.stop_at:
			sequence += 1
			self.write(f"{self.ctx.tag}-DB-{self.number:02d}-{sequence:05d}")


def mariadb_fault(ctx: Context, clients: int = 20, seconds: float = 20) -> None:
	print(f"\n-- (b) MariaDB is restarted twice while {clients} clients log interactions", flush=True)
	db = ctx.servers["mariadb"]
	started = time.monotonic()
	writers = [Writer(ctx, n, started + seconds) for n in range(clients)]
	for writer in writers:
		writer.start()
	restarts = []
	for at, sig, label in (
		(seconds * 0.25, signal.SIGTERM, "clean shutdown"),
		(seconds * 0.6, signal.SIGKILL, "crash (SIGKILL)"),
	):
		time.sleep(max(0, started + at - time.monotonic()))
		acked_before = sum(len(w.acked) for w in writers)
		t0 = time.monotonic()
		db.stop(sig)
		stopped = time.monotonic() - t0
		back = db.start()
		restarts.append(
			f"{label} at {at:.0f} s after {acked_before} acknowledged writes: down {stopped + back:.1f} s"
		)
	for writer in writers:
		writer.join(timeout=300)
	for line in restarts:
		info(line)
	statuses: dict[int, int] = {}
	for writer in writers:
		for status, n in writer.statuses.items():
			statuses[status] = statuses.get(status, 0) + n
	acked = [key for w in writers for key in w.acked]
	retried = [key for w in writers for key in w.retried]
	rejected = [r for w in writers for r in w.rejected]
	abandoned = [key for w in writers for key in w.abandoned]
	elapsed = time.monotonic() - started
	info(f"{len(acked)} writes acknowledged in {elapsed:.0f} s, answers {statuses} (0 = no answer)")
	check(
		all(not w.is_alive() for w in writers) and not rejected and not abandoned,
		"mariadb restart: every client got each of its writes acknowledged (retrying on 5xx / no answer)",
		f"refused {rejected[:3]}, abandoned {len(abandoned)}",
	)
	check(
		len(retried) > 0 and sum(n for s, n in statuses.items() if s == 0 or s >= 500) > 0,
		"mariadb restart: the restarts hit writes in flight",
		f"{len(retried)} writes needed a retry",
	)
	rows = ctx.query(
		f"select subject, count(*) from `tab{INTERACTION}` where subject like %s group by subject",
		(f"{ctx.tag}-DB-%",),
	)
	stored = {subject: int(n) for subject, n in rows}
	missing = [key for key in acked if stored.get(key, 0) == 0]
	twice = {key: n for key, n in stored.items() if n > 1}
	unacked = [key for key in stored if key not in set(acked)]
	check(
		not missing and not twice and not unacked and len(stored) == len(acked),
		"mariadb restart: every acknowledged write stored exactly once, retried ones included",
		f"{len(acked)} acknowledged ({len(retried)} after a retry), {len(stored)} stored, "
		f"missing {len(missing)}, stored twice {len(twice)}, stored without an acknowledgement {len(unacked)}",
	)
	if twice:
		info("stored twice (a write committed whose answer was lost): " + ", ".join(list(twice)[:5]))
	timeline = ctx.query(
		f"select count(*) from `tab{TIMELINE}` t join `tab{INTERACTION}` i on t.reference_name = i.name "
		"where t.reference_doctype = %s and i.subject like %s",
		(INTERACTION, f"{ctx.tag}-DB-%"),
	)[0][0]
	check(
		timeline == sum(stored.values()),
		"mariadb restart: no half-written interaction (each stored one has its timeline row)",
		f"{sum(stored.values())} interactions, {timeline} timeline rows",
	)


# ---------------------------------------------------------------- (c) the nightly run is killed mid-step


def daily_process(ctx: Context, restart: bool = False) -> subprocess.Popen:
	argv = [str(ctx.bench / "env" / "bin" / "python"), "-m", "frappe.utils.bench_helper", "frappe"]
	argv += ["--site", ctx.site, "execute", "crm_module.services.daily.run_daily"]
	if restart:
		argv += ["--kwargs", "{'restart': True}"]
	return subprocess.Popen(
		argv,
		cwd=ctx.bench / "sites",
		stdout=subprocess.PIPE,
		stderr=subprocess.STDOUT,
		start_new_session=True,
		text=True,
	)


def done_steps(ctx: Context) -> tuple[str | None, list[str]]:
	"""(day, steps done) as the nightly run keeps them in the site's Redis cache."""
	client = redis.Redis(host=LOOPBACK, port=ctx.servers["redis_cache"].spec["port"], socket_timeout=2)
	keys = list(client.scan_iter(match=f"{ctx.db_name}|{DAILY_KEY}*"))
	if not keys:
		return None, []
	raw = client.get(keys[0])
	return keys[0].decode().rsplit(":", 1)[1], list(pickle.loads(raw) if raw else [])


def waiting_writer(ctx: Context) -> int:
	"""Rows written and not committed by a transaction on the site's database that now waits for a lock
	(0 when there is none). `innodb_trx` is a snapshot InnoDB renews only when it was not read for 0.1 s."""
	rows = ctx.query(
		"select coalesce(max(t.trx_rows_modified), 0) from information_schema.innodb_trx t "
		"join information_schema.processlist p on p.id = t.trx_mysql_thread_id "
		"where p.db = %s and t.trx_state = 'LOCK WAIT'",
		(ctx.db_name,),
		admin=True,
	)
	return int(rows[0][0])


def hold_row(ctx: Context, table: str, name: str):
	"""A connection holding a write lock on one row until it is rolled back: the step that updates that row
	waits there, in the middle of its transaction, with what it wrote before still uncommitted."""
	conn = ctx.db()
	conn.autocommit(False)
	with conn.cursor() as cursor:
		cursor.execute(f"select name from `tab{table}` where name = %s for update", (name,))
	return conn


def kill_in_step(ctx: Context, step: str, done_before: list[str], table: str, row: str) -> tuple[bool, str]:
	"""Run the nightly job and SIGKILL it inside `step`: the step updates every row of `table`; one of them
	(`row`) is held locked meanwhile, so the step stops there having written rows it has not committed.
	The kill lands while it waits (whatever the machine's speed), and the lock is then let go."""
	holder = hold_row(ctx, table, row)
	proc = daily_process(ctx)
	deadline = time.monotonic() + 120
	try:
		while time.monotonic() < deadline:
			if proc.poll() is not None:
				output = proc.communicate()[0]
				(ctx.run / f"daily-{step}.log").write_text(output)
				tail = " | ".join(output.strip().splitlines()[-3:])
				return (
					False,
					f"the run ended ({proc.returncode}) before it could be killed in {step}: {tail[-400:]}",
				)
			_day, done = done_steps(ctx)
			pending = waiting_writer(ctx)
			if pending and done == done_before:
				os.killpg(proc.pid, signal.SIGKILL)
				proc.wait()
				return True, f"killed in {step} with {pending} rows written and not committed"
			if any(name not in done_before for name in done):
				return False, f"the run went past {step} (done: {done})"
			# InnoDB refreshes innodb_trx only when nobody read it for 0.1 s: poll slower than that
			time.sleep(0.25)
		return False, f"{step} did not reach its locked row within 120 s"
	finally:
		if proc.poll() is None:
			os.killpg(proc.pid, signal.SIGKILL)
			proc.wait()
		holder.rollback()
		holder.close()


def run_to_end(ctx: Context, restart: bool = False) -> dict:
	proc = daily_process(ctx, restart)
	output, _ = proc.communicate(timeout=600)
	lines = [line for line in output.splitlines() if line.startswith("{")]
	if proc.returncode or not lines:
		print(output[-2000:])
		return {}
	return json.loads(lines[-1])


def day_counts(ctx: Context, day: str) -> dict:
	one = lambda sql, *params: int(ctx.query(sql, params)[0][0])  # noqa: E731
	active = ", ".join(["%s"] * len(LEAD_ACTIVE_STATUSES))
	return {
		"customers": one(f"select count(*) from `tab{CUSTOMER}`"),
		"health rows": one(f"select count(*) from `tab{HEALTH}` where score_date = %s", day),
		"customers scored twice": one(
			f"select count(*) from (select customer from `tab{HEALTH}` where score_date = %s "
			"group by customer having count(*) > 1) x",
			day,
		),
		"red": one(f"select count(*) from `tab{HEALTH}` where score_date = %s and risk_level = 'Red'", day),
		"owners with red": one(
			f"select count(distinct c.account_owner) from `tab{HEALTH}` h join `tab{CUSTOMER}` c "
			"on c.name = h.customer where h.score_date = %s and h.risk_level = 'Red' and "
			"coalesce(c.account_owner, '') != ''",
			day,
		),
		"active leads": one(
			f"select count(*) from `tab{LEAD}` where status in ({active})", *LEAD_ACTIVE_STATUSES
		),
		"lead scores": one(f"select count(*) from `tab{LEAD_SCORE}` where scoring_date = %s", day),
		"leads scored twice": one(
			f"select count(*) from (select lead from `tab{LEAD_SCORE}` where scoring_date = %s "
			"group by lead having count(*) > 1) x",
			day,
		),
		"digests": one(
			"select count(*) from `tabNotification Log` where document_type = %s and type = 'Alert' "
			"and date(creation) = %s",
			CUSTOMER,
			day,
		),
		"owners with two digests": one(
			"select count(*) from (select for_user from `tabNotification Log` where document_type = %s "
			"and type = 'Alert' and date(creation) = %s group by for_user having count(*) > 1) x",
			CUSTOMER,
			day,
		),
		"red timeline entries": one(
			f"select count(*) from `tab{TIMELINE}` where activity_type = 'Health Risk Change' "
			"and date(creation) = %s",
			day,
		),
		"follow-up todos": one(
			"select count(*) from `tabToDo` where reference_type = %s and date = %s", LEAD, day
		),
		"forecast snapshots": one(
			"select count(*) from `tabCRM Forecast Snapshot` where date(creation) = %s", day
		),
	}


def daily_fault(ctx: Context) -> None:
	print("\n-- (c) the nightly run is killed in the middle of a step and started again", flush=True)
	day, done = done_steps(ctx)
	check(day is None and not done, "nightly run: nothing done yet today on the fresh site", f"{day} {done}")
	lead = ctx.query(
		f"select name from `tab{LEAD}` where status in ({', '.join(['%s'] * len(LEAD_ACTIVE_STATUSES))}) "
		"order by name desc limit 1",
		LEAD_ACTIVE_STATUSES,
	)[0][0]
	customer = ctx.query(f"select name from `tab{CUSTOMER}` order by name desc limit 1")[0][0]
	ok, detail = kill_in_step(ctx, "scoring", ["refresh"], LEAD, lead)
	day, done = done_steps(ctx)
	check(ok and done == ["refresh"], "nightly run killed in step 2 (scoring)", f"{detail}; done: {done}")
	if not day:
		check(False, "nightly run: the run recorded its day", "no done key in the cache")
		return
	counts = day_counts(ctx, day)
	check(
		counts["lead scores"] == 0,
		"killed in scoring: its uncommitted scores are gone",
		f"{counts['lead scores']} lead scores for {day}",
	)
	ok, detail = kill_in_step(ctx, "health", ["refresh", "scoring"], CUSTOMER, customer)
	_day, done = done_steps(ctx)
	counts = day_counts(ctx, day)
	check(
		ok and done == ["refresh", "scoring"],
		"nightly run restarted, resumed at scoring and killed in step 3 (health)",
		f"{detail}; done: {done}",
	)
	check(
		counts["health rows"] == 0
		and counts["digests"] == 0
		and counts["lead scores"] == counts["active leads"],
		"killed in health: its rows and digests are gone, the finished scoring stays",
		f"health rows {counts['health rows']}, digests {counts['digests']}, "
		f"lead scores {counts['lead scores']} of {counts['active leads']} active leads",
	)
	report = run_to_end(ctx)
	check(
		report.get("refresh") == report.get("scoring") == "skipped"
		and all(
			report.get(step) == "done"
			for step in ("health", "churn", "segments", "automation", "alerts", "forecast")
		),
		"nightly run started again: skips the done steps and resumes at health",
		json.dumps(report),
	)
	first = day_counts(ctx, day)
	info("after the resumed run: " + ", ".join(f"{k} {v}" for k, v in first.items()))
	check(
		first["health rows"] == first["customers"] > 0 and first["customers scored twice"] == 0,
		"one health row per customer for the day",
		f"{first['health rows']} rows, {first['customers']} customers",
	)
	check(
		first["lead scores"] == first["active leads"] > 0 and first["leads scored twice"] == 0,
		"one score per active lead for the day",
		f"{first['lead scores']} scores, {first['active leads']} active leads",
	)
	check(
		first["digests"] == first["owners with red"] > 0 and first["owners with two digests"] == 0,
		"one Red digest per account owner",
		f"{first['digests']} digests, {first['owners with red']} owners with customers in Red",
	)
	check(
		first["red timeline entries"] == first["red"],
		"one 'fell into Red' timeline entry per Red customer",
		f"{first['red timeline entries']} entries, {first['red']} Red customers",
	)
	report = run_to_end(ctx, restart=True)
	second = day_counts(ctx, day)
	changed = {k: (first[k], second[k]) for k in first if first[k] != second[k]}
	check(
		bool(report) and all(v == "done" for v in report.values()) and not changed,
		"the whole day run again (restart=True) doubles nothing",
		f"changed: {changed}" if changed else "every count the same",
	)


# ---------------------------------------------------------------- entry point


def main() -> int:
	parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	parser.add_argument("command", choices=("up", "check", "down"))
	parser.add_argument("--run", required=True, help="this run's folder (servers' data, plan)")
	parser.add_argument("--site")
	parser.add_argument("--url")
	parser.add_argument("--bench")
	parser.add_argument("--only", default="redis,mariadb,daily", help="faults to run, comma-separated")
	parser.add_argument("--site-db", help="down: the site's database name (its keys in the bench's Redis)")
	parser.add_argument("--machine-redis", help="down: the bench's Redis cache URL")
	args = parser.parse_args()
	run = Path(args.run)
	if args.command == "up":
		up(run)
		return 0
	if args.command == "down":
		down(run, args.site_db, args.machine_redis)
		return 0
	if urlparse(args.url).hostname not in {"127.0.0.1", "localhost", "::1"}:
		print("only loopback URLs are accepted")
		return 2
	ctx = Context(args)
	faults = {"redis": redis_fault, "mariadb": mariadb_fault, "daily": daily_fault}
	try:
		for name in args.only.split(","):
			try:
				faults[name.strip()](ctx)
			except (
				Exception
			) as error:  # a fault that broke the driver is one failed check, the rest still run
				import traceback

				traceback.print_exc()
				check(False, f"{name} fault ran to the end", repr(error)[:300])
			# whatever happened, leave every server of this tier running for the next fault and for `down`
			for server in ctx.servers.values():
				if not server.ready():
					server.start()
	finally:
		save_servers(run, ctx.servers)
	passed = sum(1 for ok, _ in results if ok)
	print(f"\nfault checks: {passed} passed, {len(results) - passed} failed")
	return 0 if results and passed == len(results) else 1


if __name__ == "__main__":
	sys.exit(main())
