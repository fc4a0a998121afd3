#!/usr/bin/env bash
# Replica tier: a site that reads from a real MariaDB read replica (crm_module/tests/replica_check.py).
#
#   bash scripts/replica_tier.sh    # this tier alone, against the bench's crm_module as it is
#                                   # (in a dev bench that is a link to this checkout; it never syncs)
#
# scripts/test.sh sources this file and calls replica_tier after the integration tier has copied the working
# tree into the bench. As root, the tier starts two MariaDB servers of its own from the machine's mariadbd
# (never the machine's own server): a primary (binary log, server_id 1) and a replica (server_id 2, read_only)
# replicating from it by GTID, in data folders under a temporary folder, on free loopback ports (3407 and 3408
# when free). It creates a site crm-replica-<time>-<pid>.localhost on the primary with the app and the demo data,
# sets read_from_replica, replica_host and replica_db_port, serves it with gunicorn on 127.0.0.1 and runs the
# checks: GET endpoints, desk lists and reports answered by the replica, writes on the primary only, and a
# lagging replica (its SQL thread stopped) whose figures are shown but never cached. It stops both servers and
# deletes their folders and the site whatever happens, and says why it is skipped when it cannot run.
#
# Environment (besides test.sh's CRM_BENCH_PATH):
#   CRM_SKIP_REPLICA=1      skip this tier
#   CRM_MARIADBD            the server binary (default /usr/sbin/mariadbd)

REPLICA_MARIADBD="${CRM_MARIADBD:-/usr/sbin/mariadbd}"
REPLICA_ADMIN="crm_tier_admin"


replica_port() {
	# the wanted port when nothing listens there, else any free loopback port
	python3 - "$1" <<-'PY'
		import socket, sys
		for port in (int(sys.argv[1]), 0):
		    s = socket.socket()
		    try:
		        s.bind(("127.0.0.1", port))
		        print(s.getsockname()[1])
		        break
		    except OSError:
		        continue
		    finally:
		        s.close()
	PY
}

replica_sql() {
	# replica_sql primary|replica SQL: as the server's root through its own socket
	mariadb --no-defaults --socket="$REPLICA_DIR/$1.sock" -uroot -N -s -e "$2"
}

replica_start_server() {
	# replica_start_server NAME PORT SERVER_ID EXTRA...: a fresh data folder and a server on 127.0.0.1:PORT
	local name="$1" port="$2" server_id="$3"
	shift 3
	local data="$REPLICA_DIR/$name"
	mkdir -p "$data"
	chown mysql: "$data"
	mariadb-install-db --no-defaults --user=mysql --datadir="$data" --auth-root-authentication-method=normal \
		--skip-test-db >"$REPLICA_DIR/$name-install.log" 2>&1 || { tail -5 "$REPLICA_DIR/$name-install.log"; return 1; }
	"$REPLICA_MARIADBD" --no-defaults --user=mysql --datadir="$data" --port="$port" --bind-address=127.0.0.1 \
		--socket="$REPLICA_DIR/$name.sock" --pid-file="$REPLICA_DIR/$name.pid" --log-error="$REPLICA_DIR/$name.err" \
		--server-id="$server_id" --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
		--skip-character-set-client-handshake --skip-name-resolve --innodb-buffer-pool-size=128M \
		--innodb-flush-log-at-trx-commit=2 --sync-binlog=0 --max-connections=200 --userstat=1 "$@" </dev/null >/dev/null 2>&1 &
	local _
	for _ in $(seq 1 60); do
		if mariadb-admin --no-defaults --socket="$REPLICA_DIR/$name.sock" -uroot ping >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.5
	done
	tail -20 "$REPLICA_DIR/$name.err"
	return 1
}

replica_servers_up() {
	# the primary and its replica, replicating; REPLICA_PRIMARY_PORT, REPLICA_REPLICA_PORT, REPLICA_ADMIN_PASS
	REPLICA_DIR="$(mktemp -d /tmp/crm-replica.XXXXXX)"
	chmod 755 "$REPLICA_DIR"
	chown mysql: "$REPLICA_DIR"
	# the bench owner's files (the plan, the web server's pid and log) in a folder of its own
	REPLICA_RUN="$REPLICA_DIR/run"
	mkdir "$REPLICA_RUN"
	chown "$(stat -c %U "$BENCH")": "$REPLICA_RUN"
	REPLICA_PRIMARY_PORT="$(replica_port 3407)"
	REPLICA_REPLICA_PORT="$(replica_port 3408)"
	[ "$REPLICA_REPLICA_PORT" = "$REPLICA_PRIMARY_PORT" ] && REPLICA_REPLICA_PORT="$(replica_port 0)"
	REPLICA_ADMIN_PASS="$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
	local repl_pass
	repl_pass="$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
	replica_start_server primary "$REPLICA_PRIMARY_PORT" 1 --log-bin="$REPLICA_DIR/primary/binlog" --binlog-format=ROW ||
		return 1
	replica_start_server replica "$REPLICA_REPLICA_PORT" 2 --read-only=1 --relay-log="$REPLICA_DIR/replica/relay" ||
		return 1
	# replicated from here on: the admin account (the site's database user, made by bench new-site, follows)
	replica_sql primary "
		CREATE USER 'crm_repl'@'127.0.0.1' IDENTIFIED BY '$repl_pass';
		GRANT REPLICATION SLAVE ON *.* TO 'crm_repl'@'127.0.0.1';
		CREATE USER '$REPLICA_ADMIN'@'127.0.0.1' IDENTIFIED BY '$REPLICA_ADMIN_PASS';
		GRANT ALL PRIVILEGES ON *.* TO '$REPLICA_ADMIN'@'127.0.0.1' WITH GRANT OPTION;" || return 1
	replica_sql replica "
		CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$REPLICA_PRIMARY_PORT, MASTER_USER='crm_repl',
			MASTER_PASSWORD='$repl_pass', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;
		START SLAVE;" || return 1
	local _
	for _ in $(seq 1 60); do
		if [ "$(replica_sql replica "SELECT COUNT(*) FROM mysql.user WHERE user = '$REPLICA_ADMIN'")" = 1 ]; then
			return 0
		fi
		sleep 0.5
	done
	replica_sql replica "SHOW SLAVE STATUS\G" | grep -E 'Running|Error'
	return 1
}

replica_serve() {
	# the site on 127.0.0.1:REPLICA_PORT with gunicorn (one worker: the checks are sequential)
	REPLICA_PORT="$(replica_port 0)"
	as_bench_user "cd '$BENCH/sites' && exec ../env/bin/gunicorn -b 127.0.0.1:$REPLICA_PORT -w 1 -t 120 --pid '$REPLICA_RUN/gunicorn.pid' frappe.app:application" \
		>"$REPLICA_RUN/gunicorn.log" 2>&1 &
	local _
	for _ in $(seq 1 120); do
		if python3 -c "import urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:$REPLICA_PORT/api/method/ping', headers={'Host': '$REPLICA_SITE'}), timeout=5)" 2>/dev/null; then
			return 0
		fi
		sleep 0.5
	done
	tail -20 "$REPLICA_RUN/gunicorn.log"
	return 1
}

replica_cleanup() {
	# stop the server and both databases, delete their folders and the site; safe to call twice
	[ -n "${REPLICA_DIR:-}" ] || return 0
	stop_pidfile "$REPLICA_RUN/gunicorn.pid" 30
	if [ -n "${REPLICA_SITE:-}" ] && [ -d "$BENCH/sites/$REPLICA_SITE" ]; then
		# its cache keys go with it; its databases go with the servers
		as_bench_user "cd '$BENCH' && timeout 60 bench --site '$REPLICA_SITE' clear-cache >/dev/null 2>&1; rm -rf 'sites/$REPLICA_SITE'"
	fi
	REPLICA_SITE=""
	stop_pidfile "$REPLICA_DIR/replica.pid" 30
	stop_pidfile "$REPLICA_DIR/primary.pid" 30
	rm -rf "$REPLICA_DIR"
	REPLICA_DIR=""
}

replica_fail() {
	summary+=("replica tier: FAILED ($1)")
	failed=$((failed + 1))
	status=1
}

replica_tier() {
	if [ -n "${CRM_SKIP_REPLICA:-}" ]; then
		summary+=("replica tier: SKIPPED (CRM_SKIP_REPLICA is set)")
		return 0
	fi
	local missing=""
	[ -x "$REPLICA_MARIADBD" ] || missing="no MariaDB server binary at $REPLICA_MARIADBD (set CRM_MARIADBD)"
	command -v mariadb-install-db >/dev/null 2>&1 || missing="${missing:-no mariadb-install-db}"
	command -v mariadb >/dev/null 2>&1 || missing="${missing:-no mariadb client}"
	[ "$(id -u)" = 0 ] || missing="${missing:-not root (it runs its own MariaDB servers as the mysql user)}"
	id mysql >/dev/null 2>&1 || missing="${missing:-no mysql user to run MariaDB as}"
	if [ -n "$missing" ]; then
		summary+=("replica tier: SKIPPED ($missing)")
		return 0
	fi
	if [ ! -x "$BENCH/env/bin/python" ] || [ ! -d "$BENCH/apps/frappe" ]; then
		summary+=("replica tier: SKIPPED (no Frappe bench at $BENCH; set CRM_BENCH_PATH to run it)")
		return 0
	fi
	if [ ! -e "$BENCH/apps/crm_module" ]; then
		summary+=("replica tier: SKIPPED (crm_module is not in the bench at $BENCH)")
		return 0
	fi
	log "Replica tier: a MariaDB primary and read replica of its own, a site reading from the replica"
	local t0=$SECONDS
	# clean up on exit too, before whatever EXIT trap the caller had (test.sh drops its own sites there)
	local previous_trap=""
	eval "set -- $(trap -p EXIT)"
	[ $# -ge 3 ] && previous_trap="$3"
	trap "replica_cleanup; $previous_trap" EXIT

	local rc=0 plan
	if ! replica_servers_up; then
		replica_fail "could not start a MariaDB primary and replica with $REPLICA_MARIADBD"
		rc=1
	else
		echo "primary on 127.0.0.1:$REPLICA_PRIMARY_PORT, replica on 127.0.0.1:$REPLICA_REPLICA_PORT (data in $REPLICA_DIR) after $((SECONDS - t0))s"
		REPLICA_SITE="crm-replica-$(date +%s)-$$.localhost"
		plan="$REPLICA_RUN/plan.json"
		if ! as_bench_user "cd '$BENCH' && bench new-site '$REPLICA_SITE' --db-host 127.0.0.1 --db-port $REPLICA_PRIMARY_PORT --db-root-username '$REPLICA_ADMIN' --db-root-password '$REPLICA_ADMIN_PASS' --admin-password \"${CRM_ADMIN_PASSWORD:-admin}\" --no-mariadb-socket --install-app crm_module >/dev/null" 2>&1 | tr '\r' '\n' | { grep -v 'Updating DocTypes' || true; }; then
			replica_fail "site creation or install-app on the primary failed"
			rc=1
		elif ! echo "site $REPLICA_SITE created on the primary after $((SECONDS - t0))s" ||
			! as_bench_user "cd '$BENCH' && bench --site '$REPLICA_SITE' execute crm_module.tests.replica_check.prepare --kwargs \"{'path': '$plan', 'replica_port': $REPLICA_REPLICA_PORT}\"" >/dev/null; then
			replica_fail "the demo data, API tokens or replica settings could not be made on $REPLICA_SITE"
			rc=1
		elif ! replica_serve; then
			replica_fail "could not serve $REPLICA_SITE on 127.0.0.1"
			rc=1
		else
			echo "site $REPLICA_SITE on the primary, reading from the replica, served on 127.0.0.1:$REPLICA_PORT after $((SECONDS - t0))s"
			run_checks replica "$t0" "" as_bench_user "cd '$BENCH' && timeout 600 ./env/bin/python -m crm_module.tests.replica_check 'http://127.0.0.1:$REPLICA_PORT' '$REPLICA_SITE' '$plan' --primary $REPLICA_PRIMARY_PORT --replica $REPLICA_REPLICA_PORT --admin '$REPLICA_ADMIN:$REPLICA_ADMIN_PASS' --bench '$BENCH'" || rc=1
		fi
	fi
	replica_cleanup
	if [ -n "$previous_trap" ]; then trap -- "$previous_trap" EXIT; else trap - EXIT; fi
	return "$rc"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	# standalone: this tier only
	# shellcheck source=scripts/bench_lib.sh
	source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh" && run_tier_alone replica_tier
fi
