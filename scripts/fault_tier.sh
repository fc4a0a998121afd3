#!/usr/bin/env bash
# Fault tier: the app on a served throwaway site survives a dead Redis cache, a MariaDB restarted under 20
# writing clients and a nightly run killed mid-step (tests_faults/run_faults.py says what each proves).
#
#   bash scripts/fault_tier.sh      # this tier alone, against the bench's crm_module as it is
#                                   # (in a dev bench that is a link to this checkout; it never syncs)
#
# scripts/test.sh sources this file and calls fault_tier after the integration tier. The tier starts its OWN
# servers on free loopback ports (from 6390/6391 for a cache and a queue Redis, from 3410 for a MariaDB whose
# data folder it makes with mariadb-install-db), creates the site crm-faults-<time>-<pid>.localhost on that
# MariaDB with that Redis, installs the app, loads a small dataset L (crm_module.benchmarks.faults.prepare),
# serves the site with gunicorn on 127.0.0.1, runs the checks, then stops gunicorn and its servers and
# deletes the site folder and its data. The machine's Redis (6379) and MariaDB (3306) are never stopped.
# It takes about four minutes.
#
# Environment (besides test.sh's CRM_BENCH_PATH):
#   CRM_SKIP_FAULTS=1       skip this tier
#   CRM_FAULTS=redis,mariadb,daily   which faults to run (default all three)
#   CRM_KEEP_SITE=1         keep the servers' folder and the site (their names are printed; stop the
#                           servers with `python tests_faults/run_faults.py down --run <folder>`)


fault_fail() {
	summary+=("fault tier: FAILED ($1)")
	failed=$((failed + 1))
	status=1
}

fault_py() {
	# the driver, as the bench owner, with the bench's Python (requests, PyMySQL, redis), from the bench's copy
	# of the app (which the owner can read wherever the checkout lives)
	as_bench_user "cd '$BENCH' && ./env/bin/python apps/crm_module/tests_faults/run_faults.py $*"
}

fault_bench() {
	as_bench_user "cd '$BENCH' && bench --site '$FAULT_SITE' $*"
}

fault_serve() {
	# gunicorn (4 workers) on 127.0.0.1:FAULT_PORT, like production minus the proxy
	FAULT_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
	as_bench_user "cd '$BENCH/sites' && exec ../env/bin/gunicorn -b 127.0.0.1:$FAULT_PORT -w 4 -t 120 --graceful-timeout 5 --pid '$FAULT_RUN/gunicorn.pid' frappe.app:application" \
		>"$FAULT_RUN/gunicorn.log" 2>&1 &
	local _
	for _ in $(seq 1 120); do
		if python3 -c "import urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:$FAULT_PORT/api/method/ping', headers={'Host': '$FAULT_SITE'}), timeout=5)" 2>/dev/null; then
			return 0
		fi
		sleep 0.5
	done
	tail -20 "$FAULT_RUN/gunicorn.log"
	return 1
}

fault_cleanup() {
	# stop gunicorn and this tier's servers, delete the site and the data (unless CRM_KEEP_SITE); safe twice
	[ -z "${FAULT_RUN:-}" ] && return 0
	if [ -s "$FAULT_RUN/gunicorn.pid" ]; then
		kill "$(cat "$FAULT_RUN/gunicorn.pid")" 2>/dev/null
		local _
		for _ in $(seq 1 50); do [ -e "$FAULT_RUN/gunicorn.pid" ] || break; sleep 0.2; done
	fi
	if [ -n "${CRM_KEEP_SITE:-}" ]; then
		echo "kept the site $FAULT_SITE and its servers' folder $FAULT_RUN (CRM_KEEP_SITE)"
	else
		local db_name=""
		[ -f "$BENCH/sites/$FAULT_SITE/site_config.json" ] &&
			db_name="$(python3 -c "import json; print(json.load(open('$BENCH/sites/$FAULT_SITE/site_config.json'))['db_name'])" 2>/dev/null)"
		fault_py down --run "'$FAULT_RUN'" ${db_name:+--site-db "'$db_name'" --machine-redis "'$FAULT_MACHINE_REDIS'"}
		[ -n "${FAULT_SITE:-}" ] && rm -rf "${BENCH:?}/sites/$FAULT_SITE"
		rm -rf "$FAULT_RUN"
	fi
	FAULT_RUN=""
}

fault_tier() {
	if [ -n "${CRM_SKIP_FAULTS:-}" ]; then
		summary+=("fault tier: SKIPPED (CRM_SKIP_FAULTS is set)")
		return 0
	fi
	if [ ! -x "$BENCH/env/bin/python" ] || [ ! -d "$BENCH/apps/frappe" ]; then
		summary+=("fault tier: SKIPPED (no Frappe bench at $BENCH; set CRM_BENCH_PATH to run it)")
		return 0
	fi
	if [ ! -e "$BENCH/apps/crm_module/tests_faults/run_faults.py" ]; then
		summary+=("fault tier: SKIPPED (crm_module, with its tests_faults folder, is not in the bench at $BENCH)")
		return 0
	fi
	local owner tool
	owner="$(stat -c %U "$BENCH")"
	if [ "$(id -u)" != 0 ] && [ "$(id -un)" != "$owner" ]; then
		summary+=("fault tier: SKIPPED (it runs as root or as the bench owner $owner, to start servers and kill its own processes)")
		return 0
	fi
	for tool in redis-server mariadb-install-db mariadb-admin; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			summary+=("fault tier: SKIPPED (no $tool: it starts its own Redis and MariaDB; apt-get install redis-server mariadb-server)")
			return 0
		fi
	done
	if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
		summary+=("fault tier: SKIPPED (no mariadbd)")
		return 0
	fi
	log "Fault tier: dead Redis, restarted MariaDB, killed nightly run (bench at $BENCH)"
	echo "app under test: $(realpath "$BENCH/apps/crm_module")"
	local t0=$SECONDS
	FAULT_RUN="$(mktemp -d /tmp/crm-faults-XXXXXX)"
	chown "$owner": "$FAULT_RUN" 2>/dev/null
	FAULT_SITE="crm-faults-$(date +%s)-$$.localhost"
	FAULT_MACHINE_REDIS="$(python3 -c "import json; print(json.load(open('$BENCH/sites/common_site_config.json')).get('redis_cache', ''))" 2>/dev/null)"
	local previous_trap=""
	eval "set -- $(trap -p EXIT)"
	[ $# -ge 3 ] && previous_trap="$3"
	trap "fault_cleanup; $previous_trap" EXIT

	local rc=0 servers
	if ! servers="$(fault_py up --run "'$FAULT_RUN'")"; then
		echo "$servers"
		fault_fail "could not start its own Redis and MariaDB (see $FAULT_RUN)"
		rc=1
	else
		local cache queue db admin_password
		cache="$(sed -n 's/^redis_cache=//p' <<<"$servers")"
		queue="$(sed -n 's/^redis_queue=//p' <<<"$servers")"
		db="$(sed -n 's/^mariadb=127.0.0.1://p' <<<"$servers")"
		admin_password="$(sed -n 's/^admin_password=//p' <<<"$servers")"
		echo "own servers: Redis cache $cache, Redis queue $queue, MariaDB 127.0.0.1:$db (folder $FAULT_RUN)"
		if ! as_bench_user "cd '$BENCH' && bench new-site '$FAULT_SITE' --db-host 127.0.0.1 --db-port $db --db-root-username crm_fault_root --db-root-password '$admin_password' --admin-password admin --no-mariadb-socket >/dev/null" ||
			! fault_bench "set-config redis_cache 'redis://$cache'" ||
			! fault_bench "set-config redis_queue 'redis://$queue'" ||
			! fault_bench "set-config redis_socketio 'redis://$queue'" ||
			! fault_bench "install-app crm_module" 2>&1 | { grep -v 'Updating DocTypes' || true; }; then
			fault_fail "site creation or install-app failed on its own MariaDB"
			rc=1
		elif ! fault_bench "execute crm_module.benchmarks.faults.prepare --kwargs \"{'path': '$FAULT_RUN/plan.json'}\""; then
			fault_fail "the fixture (crm_module.benchmarks.faults.prepare) failed"
			rc=1
		elif ! fault_serve; then
			fault_fail "could not serve $FAULT_SITE on 127.0.0.1"
			rc=1
		else
			echo "site $FAULT_SITE served on http://127.0.0.1:$FAULT_PORT after $((SECONDS - t0))s"
			run_checks fault "$t0" "(Redis killed, MariaDB restarted under 20 writers, nightly run killed mid-step)" as_bench_user "cd '$BENCH' && timeout 900 ./env/bin/python apps/crm_module/tests_faults/run_faults.py check --run '$FAULT_RUN' --site '$FAULT_SITE' --url http://127.0.0.1:$FAULT_PORT --bench '$BENCH' --only '${CRM_FAULTS:-redis,mariadb,daily}'" || rc=1
		fi
	fi
	fault_cleanup
	if [ -n "$previous_trap" ]; then trap -- "$previous_trap" EXIT; else trap - EXIT; fi
	return "$rc"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	# standalone: this tier only
	# shellcheck source=scripts/bench_lib.sh
	source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh" && run_tier_alone fault_tier
fi
