#!/usr/bin/env bash
# Runs every test tier that can run on this machine and says which ran and which were skipped.
#
#   bash scripts/test.sh            # all tiers
#   CRM_SKIP_INTEGRATION=1 bash scripts/test.sh   # pure tier only
#   CRM_SKIP_BROWSER=1 bash scripts/test.sh       # without the browser tier
#   CRM_SKIP_REPLICA=1 bash scripts/test.sh       # without the replica tier
#   CRM_SKIP_FAULTS=1 bash scripts/test.sh        # without the fault tier
#   CRM_SKIP_MAIL=1 bash scripts/test.sh          # without the mail tier
#
# Tier 1 (always): ruff lint + format check, pytest over tests/ (domain maths, DocType JSON and
#                  hooks static checks, reserved-name collisions). Needs only Python.
# Tier 2 (when a Frappe v15 bench exists): copies this working tree into the bench as apps/crm_module,
#                  creates a throwaway site on the local MariaDB, installs the app and runs
#                  `bench --site <site> run-tests --app crm_module`, then drops the site.
# Tier 2b (when that bench also has ERPNext and/or Frappe CRM): the same suite on a throwaway site that
#                  has them installed before the app (coexistence; the migration tests run there).
# Replica tier (after tier 2, as root, when the machine has a mariadbd binary): a MariaDB primary and read
#                  replica of its own on loopback ports, a throwaway site on the primary reading from the
#                  replica; proves GET endpoints and reports are answered by the replica, writes land on the
#                  primary, and a lagging replica's figures are never cached (scripts/replica_tier.sh,
#                  crm_module/tests/replica_check.py). Both servers and their folders are removed after.
# Fault tier (after tier 2, as root or the bench owner, when redis-server and mariadbd exist): a Redis and a
#                  MariaDB of its own on loopback ports, a throwaway site on them served by gunicorn; kills the
#                  Redis cache under reads and writes, restarts the MariaDB under 20 writing clients, kills the
#                  nightly run inside a step and runs it again (scripts/fault_tier.sh, tests_faults/run_faults.py).
# Mail tier (after tier 2, as root; installs dovecot-imapd and exim4-daemon-light when missing): a Dovecot
#                  (IMAP) and an Exim (SMTP) of its own on loopback ports, Frappe Email Accounts on a throwaway
#                  site; proves a customer's mail pulled over IMAP is one interaction on its contact with the
#                  attachment, a desk reply is delivered by SMTP and is one outbound interaction, one message
#                  through two accounts is one interaction, an unknown sender is a lead only with the setting on
#                  (scripts/mail_tier.sh, crm_module/tests/mail_check.py). Servers and folders removed after.
# Tier 3 (after tier 2, when Chromium can be had): another throwaway site with the demo data, served on
#                  127.0.0.1, driven by headless Chromium through the desk (scripts/browser_tier.sh,
#                  tests_browser/run_browser.py); screenshots go to a folder it prints.
#
# Environment:
#   CRM_BENCH_PATH          bench folder (default /home/frappe/frappe-bench)
#   CRM_DB_ROOT_USER/PASSWORD  MariaDB account allowed to create databases (default: an account
#                           `crm_test_admin` created through the passwordless local root when possible)
#   CRM_DB_HOST             MariaDB host (default 127.0.0.1)
#   CRM_KEEP_SITE=1         keep the throwaway site for inspection
#   CRM_TEST_MODULE         run one module only, e.g. crm_module.tests.test_permissions
#   CRM_SKIP_BROWSER=1      skip the browser tier; CRM_BROWSER_SHOTS sets its screenshot folder
#   CRM_SKIP_PEERS=1        skip tier 2b
#   CRM_SKIP_REPLICA=1      skip the replica tier
#   CRM_SKIP_FAULTS=1       skip the fault tier; CRM_FAULTS=redis,mariadb,daily picks its faults
#   CRM_SKIP_MAIL=1         skip the mail tier
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
BENCH="${CRM_BENCH_PATH:-/home/frappe/frappe-bench}"
DB_HOST="${CRM_DB_HOST:-127.0.0.1}"
summary=()
passed=0
failed=0
status=0

# ------------------------------------------------------------------ tier 1: pure Python
pure_tier() {
	log "Tier 1: pure Python (lint, domain tests, static checks)"
	local py="python3"
	if ! "$py" -c "import pytest, hypothesis, phonenumbers, ruff" 2>/dev/null; then
		if [ ! -x "$REPO/.ci-venv/bin/python" ]; then
			python3 -m venv "$REPO/.ci-venv" || return 1
		fi
		py="$REPO/.ci-venv/bin/python"
		"$py" -m pip install -q --disable-pip-version-check "pytest>=8" "hypothesis>=6" "phonenumbers>=8.13" "ruff>=0.4" || return 1
	fi
	local ruff_ok=1
	"$py" -m ruff check crm_module tests tests_browser tests_faults scripts || ruff_ok=0
	"$py" -m ruff format --check crm_module tests tests_browser tests_faults scripts || ruff_ok=0
	if [ "$ruff_ok" = 1 ]; then summary+=("lint: ruff check + format clean"); else summary+=("lint: FAILED"); status=1; fi

	local out
	out="$(mktemp)"
	"$py" -m pytest tests -p no:cacheprovider 2>&1 | tee "$out"
	local rc=${PIPESTATUS[0]}
	local line
	line="$(grep -E '^[0-9]+ (passed|failed)|^=+ .*(passed|failed)' "$out" | tail -1)"
	local p f
	p="$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)"
	f="$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || echo 0)"
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	rm -f "$out"
	if [ "$rc" = 0 ]; then summary+=("pure tier: ran, ${p:-0} passed"); else summary+=("pure tier: FAILED (${f:-0} failed)"); status=1; fi
}

# ------------------------------------------------------------------ tier 2: Frappe integration
# shellcheck source=scripts/bench_lib.sh
source "$REPO/scripts/bench_lib.sh"

integration_tier() {
	if [ -n "${CRM_SKIP_INTEGRATION:-}" ]; then
		summary+=("integration tier: SKIPPED (CRM_SKIP_INTEGRATION is set)")
		return 0
	fi
	if [ ! -x "$BENCH/env/bin/python" ] || [ ! -d "$BENCH/apps/frappe" ]; then
		summary+=("integration tier: SKIPPED (no Frappe bench at $BENCH; set CRM_BENCH_PATH to run it)")
		return 0
	fi
	log "Tier 2: Frappe integration tests on the bench at $BENCH"
	local bench_cli
	bench_cli="$(as_bench_user 'command -v bench' 2>/dev/null || true)"
	if [ -z "$bench_cli" ]; then
		summary+=("integration tier: FAILED (bench CLI not found for $(stat -c %U "$BENCH"))")
		status=1
		return 1
	fi
	db_admin || { summary+=("integration tier: FAILED (no database admin account)"); status=1; return 1; }
	sync_app || { summary+=("integration tier: FAILED (could not install the app into the bench)"); status=1; return 1; }
	APP_SYNCED=1
	[ -z "${CRM_KEEP_SITE:-}" ] && trap drop_test_sites EXIT
	run_suite "integration tier" "crm-test" uninstall_check
	# the same suite beside ERPNext and Frappe CRM when the bench has them (migration tests run there)
	local peers
	peers="$(peer_apps)"
	if [ -n "${CRM_SKIP_PEERS:-}" ]; then
		summary+=("peer tier: SKIPPED (CRM_SKIP_PEERS is set)")
	elif [ -z "$peers" ]; then
		summary+=("peer tier: SKIPPED (the bench has neither ERPNext nor Frappe CRM in apps/ and sites/apps.txt)")
	else
		log "Tier 2b: the integration tests on a site that also has:$peers"
		run_suite "peer tier (with$peers)" "crm-peer" "" $peers
	fi
}

TEST_SITES=()
drop_test_sites() {
	local site
	for site in "${TEST_SITES[@]}"; do
		as_bench_user "cd '$BENCH' && bench drop-site '$site' --db-root-username '$DB_USER' --db-root-password '$DB_PASS' --force --no-backup >/dev/null 2>&1; rm -rf 'archived/sites/$site'"
	done
}

uninstall_check() {
	# a clean uninstall: the app's tables and roles are gone afterwards
	if as_bench_user "cd '$BENCH' && bench --site '$1' uninstall-app crm_module --yes --no-backup --force >/dev/null 2>&1" &&
		[ "$(as_bench_user "cd '$BENCH' && bench --site '$1' mariadb -e \"select count(*) from information_schema.tables where table_schema=database() and table_name like 'tabCRM %'\" -N -s" 2>/dev/null | tr -d '[:space:]')" = "0" ]; then
		summary+=("uninstall check: clean (no CRM tables left)")
		passed=$((passed + 1))
	else
		summary+=("uninstall check: FAILED (uninstall-app errored or CRM tables remain)")
		failed=$((failed + 1))
		status=1
	fi
}

run_suite() {
	# run_suite LABEL PREFIX AFTER [APP...]: a throwaway site with the apps and this app, the app's tests on
	# it, then AFTER (a function given the site, or "")
	local label="$1" prefix="$2" after="$3"
	shift 3
	local site
	site="$prefix-$(date +%s)-$$.localhost"
	TEST_SITES+=("$site")
	SITE="$site"
	local log_file
	log_file="$(mktemp)"
	chmod 666 "$log_file"
	local t0=$SECONDS
	if ! new_site "$site" "$@"; then
		summary+=("$label: FAILED (site creation or install-app failed)")
		status=1
		return 1
	fi
	echo "site $site ready in $((SECONDS - t0))s"
	local target="--app crm_module"
	[ -n "${CRM_TEST_MODULE:-}" ] && target="--module $CRM_TEST_MODULE"
	as_bench_user "cd '$BENCH' && bench --site '$site' run-tests $target" 2>&1 | tee "$log_file"
	local rc=${PIPESTATUS[0]}
	local ran fails errors skipped
	ran="$(grep -oE '^Ran [0-9]+ test' "$log_file" | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')"
	fails="$(grep -oE 'failures=[0-9]+' "$log_file" | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')"
	errors="$(grep -oE 'errors=[0-9]+' "$log_file" | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')"
	skipped="$(grep -oE 'skipped=[0-9]+' "$log_file" | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')"
	rm -f "$log_file"
	[ -n "$after" ] && "$after" "$site"
	local bad=$((fails + errors))
	if [ "$rc" = 0 ] && [ "$bad" = 0 ] && [ "$ran" -gt 0 ]; then
		passed=$((passed + ran - skipped))
		local why=""
		[ "$skipped" -gt 0 ] && why=" (each names its reason: an app absent from the site)"
		summary+=("$label: ran on $site, $((ran - skipped)) passed, $skipped skipped$why")
	else
		passed=$((passed + ran - bad - skipped))
		failed=$((failed + (bad > 0 ? bad : 1)))
		summary+=("$label: FAILED (rc=$rc, ran $ran, failures+errors $bad)")
		status=1
	fi
}

# ------------------------------------------------------------------ replica tier
# shellcheck source=scripts/replica_tier.sh
source "$REPO/scripts/replica_tier.sh"

# ------------------------------------------------------------------ fault tier
# shellcheck source=scripts/fault_tier.sh
source "$REPO/scripts/fault_tier.sh"

# ------------------------------------------------------------------ mail tier
# shellcheck source=scripts/mail_tier.sh
source "$REPO/scripts/mail_tier.sh"

# ------------------------------------------------------------------ tier 3: browser
# shellcheck source=scripts/browser_tier.sh
source "$REPO/scripts/browser_tier.sh"

pure_tier || { summary+=("pure tier: FAILED to run"); status=1; }
integration_tier
if [ -z "${CRM_SKIP_REPLICA:-}" ] && [ -z "${APP_SYNCED:-}" ]; then
	summary+=("replica tier: SKIPPED (it runs on the bench the integration tier installs the app into, and that tier did not run)")
else
	replica_tier
fi
if [ -z "${CRM_SKIP_FAULTS:-}" ] && [ -z "${APP_SYNCED:-}" ]; then
	summary+=("fault tier: SKIPPED (it runs on the bench the integration tier installs the app into, and that tier did not run)")
else
	fault_tier
fi
if [ -z "${CRM_SKIP_MAIL:-}" ] && [ -z "${APP_SYNCED:-}" ]; then
	summary+=("mail tier: SKIPPED (it runs on the bench the integration tier installs the app into, and that tier did not run)")
else
	mail_tier
fi
if [ -z "${CRM_SKIP_BROWSER:-}" ] && [ -z "${APP_SYNCED:-}" ]; then
	summary+=("browser tier: SKIPPED (it runs on the bench the integration tier installs the app into, and that tier did not run)")
else
	browser_tier
fi
log "Summary"
printf '  %s\n' "${summary[@]}"
echo "tests: $passed passed, $failed failed"
exit "$status"
