#!/usr/bin/env bash
# Helpers for scripts that USE an existing Frappe bench (they never build one).
# Expects REPO, BENCH and DB_HOST to be set by the caller.

log() { printf '\n==> %s\n' "$*"; }

as_bench_user() {
	local owner
	owner="$(stat -c %U "$BENCH")"
	if [ "$(id -un)" = "$owner" ]; then
		bash -c "$*"
	elif [ "$(id -u)" = 0 ]; then
		runuser -l "$owner" -c "$*"
	else
		echo "cannot act as bench owner $owner" >&2
		return 1
	fi
}

db_admin() {
	if [ -n "${CRM_DB_ROOT_USER:-}" ]; then
		DB_USER="$CRM_DB_ROOT_USER"
		DB_PASS="${CRM_DB_ROOT_PASSWORD:-}"
		return 0
	fi
	DB_USER="crm_test_admin"
	DB_PASS="crm_test_admin"
	if mysql -uroot -h"$DB_HOST" -e "SELECT 1" >/dev/null 2>&1; then
		mysql -uroot -h"$DB_HOST" <<-SQL
			SET GLOBAL character_set_server = 'utf8mb4';
			SET GLOBAL collation_server = 'utf8mb4_unicode_ci';
			CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$DB_PASS';
			CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
			GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'%' WITH GRANT OPTION;
			GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'localhost' WITH GRANT OPTION;
			FLUSH PRIVILEGES;
		SQL
		return $?
	fi
	echo "no MariaDB admin account: set CRM_DB_ROOT_USER and CRM_DB_ROOT_PASSWORD" >&2
	return 1
}

sync_app() {
	local target="$BENCH/apps/crm_module"
	if [ "$(realpath "$REPO")" = "$(realpath -m "$target")" ]; then
		return 0
	fi
	local owner
	owner="$(stat -c %U "$BENCH")"
	# a link to another checkout is replaced by a copy of this one (never write through the link)
	[ -L "$target" ] && rm -f "$target"
	mkdir -p "$target"
	# the working tree as it is (uncommitted changes included), without VCS or caches
	tar -C "$REPO" --exclude=.git --exclude=.ci-venv --exclude=__pycache__ --exclude=.pytest_cache \
		--exclude=.ruff_cache --exclude=.hypothesis -cf - . | tar -C "$target" -xf -
	# remove files deleted from the working tree since the last sync
	(cd "$target" && find . -type f \( -name '*.py' -o -name '*.json' -o -name '*.js' \) | while read -r f; do
		[ -e "$REPO/$f" ] || rm -f "$f"
	done)
	chown -R "$owner": "$target"
	if ! as_bench_user "cd '$BENCH' && ./env/bin/python -c 'import crm_module, os; assert os.path.realpath(crm_module.__file__).startswith(os.path.realpath(\"$target\"))'" 2>/dev/null; then
		as_bench_user "cd '$BENCH' && ./env/bin/pip install -q --no-deps -e apps/crm_module" || return 1
	fi
	grep -qx crm_module "$BENCH/sites/apps.txt" || { printf '\ncrm_module' >>"$BENCH/sites/apps.txt"; sed -i '/^$/d' "$BENCH/sites/apps.txt"; }
}

link_app() {
	# dev use: make the bench run this working tree live (apps/crm_module -> REPO)
	local target="$BENCH/apps/crm_module"
	if [ "$(realpath "$REPO")" != "$(realpath -m "$target")" ]; then
		if [ -e "$target" ] && [ ! -L "$target" ]; then
			echo "$target exists and is not a link; using it as it is" >&2
		else
			ln -sfn "$REPO" "$target"
		fi
	fi
	as_bench_user "cd '$BENCH' && ./env/bin/python -c 'import crm_module'" 2>/dev/null ||
		as_bench_user "cd '$BENCH' && ./env/bin/pip install -q --no-deps -e apps/crm_module" || return 1
	grep -qx crm_module "$BENCH/sites/apps.txt" || { printf '\ncrm_module' >>"$BENCH/sites/apps.txt"; sed -i '/^$/d' "$BENCH/sites/apps.txt"; }
}

new_site() {
	# a throwaway test site: the suites create far more than the 60 users an hour Frappe allows a live site
	# new_site NAME [APP...]: a fresh site with allow_tests, the given apps (e.g. erpnext crm) and then this app
	local site="$1"
	shift
	local installs=""
	for app in "$@" crm_module; do
		installs="$installs && bench --site '$site' install-app $app"
	done
	as_bench_user "cd '$BENCH' && bench new-site '$site' --db-host '$DB_HOST' --db-root-username '$DB_USER' --db-root-password '$DB_PASS' --admin-password \"${CRM_ADMIN_PASSWORD:-admin}\" --no-mariadb-socket >/dev/null && bench --site '$site' set-config allow_tests true && bench --site '$site' set-config -p throttle_user_limit 100000 $installs" 2>&1 | tr '\r' '\n' | { grep -v 'Updating DocTypes' || true; }
}

peer_apps() {
	# the peers this bench has (ERPNext, Frappe CRM), as install-app names, installed before this app
	local app found=""
	for app in erpnext crm; do
		if [ -d "$BENCH/apps/$app" ] && grep -qx "$app" "$BENCH/sites/apps.txt" &&
			as_bench_user "cd '$BENCH' && ./env/bin/python -c 'import $app'" >/dev/null 2>&1; then
			found="$found $app"
		fi
	done
	echo "$found"
}

tally_checks() {
	# tally_checks TIER OUT RUN_RC T0 [WHAT]: a tier's closing line "<TIER> checks: N passed, M failed" in the
	# file OUT (and its "<TIER> proved: ..." line, if any) into test.sh's summary and counts; WHAT is appended to
	# the summary line; returns 1 when the tier failed
	local tier="$1" out="$2" run_rc="$3" t0="$4" what="${5:-}" prefix="$1" line p f proved
	line="$(grep -E "^$prefix checks: [0-9]+ passed, [0-9]+ failed" "$out" | tail -1)"
	proved="$(grep -E "^$prefix proved: " "$out" | tail -1 | sed "s/^$prefix proved: //")"
	p="$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)"
	f="$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || echo 0)"
	passed=$((passed + ${p:-0}))
	if [ "$run_rc" = 0 ] && [ "${f:-0}" = 0 ] && [ "${p:-0}" -gt 0 ]; then
		summary+=("$tier tier: ran, ${p} checks passed in $((SECONDS - t0))s${proved:+: $proved}${what:+ $what}")
		return 0
	fi
	failed=$((failed + (${f:-0} > 0 ? ${f:-0} : 1)))
	summary+=("$tier tier: FAILED (rc=$run_rc, ${p:-0} checks passed, ${f:-0} failed)${what:+ $what}")
	status=1
	return 1
}

stop_pidfile() {
	# stop_pidfile PIDFILE SECONDS: stop the process of the pid file's first line, wait for it up to SECONDS,
	# then SIGKILL
	[ -s "$1" ] || return 0
	local pid _
	pid="$(head -1 "$1")"
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 $(($2 * 4))); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.25
	done
	kill -9 "$pid" 2>/dev/null
}

run_checks() {
	# run_checks TIER T0 WHAT COMMAND...: run a tier's checks, show their output and tally their closing line
	local tier="$1" t0="$2" what="$3" out run_rc
	shift 3
	out="$(mktemp)"
	"$@" 2>&1 | tee "$out"
	run_rc=${PIPESTATUS[0]}
	tally_checks "$tier" "$out" "$run_rc" "$t0" "$what"
	run_rc=$?
	rm -f "$out"
	return "$run_rc"
}

run_tier_alone() {
	# a tier script run by itself (bash scripts/<tier>_tier.sh): test.sh's settings and counters, the tier,
	# its summary
	set -uo pipefail
	REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
	cd "$REPO" || exit 1
	BENCH="${CRM_BENCH_PATH:-/home/frappe/frappe-bench}"
	DB_HOST="${CRM_DB_HOST:-127.0.0.1}"
	summary=()
	passed=0
	failed=0
	status=0
	"$1"
	log "Summary"
	printf '  %s\n' "${summary[@]}"
	echo "tests: $passed passed, $failed failed"
	exit "$status"
}
