#!/usr/bin/env bash
# Tier 3: headless Chromium through the desk of a served throwaway site (tests_browser/run_browser.py).
#
#   bash scripts/browser_tier.sh    # this tier alone, against the bench's crm_module as it is
#                                   # (in a dev bench that is a link to this checkout; it never syncs)
#
# scripts/test.sh sources this file and calls browser_tier after the integration tier has copied the
# working tree into the bench. The tier installs what it needs when it can (Debian's chromium and
# chromium-driver through apt-get as root, Selenium into .ci-venv) and otherwise says why it is skipped.
# It creates a site crm-browser-<time>-<pid>.localhost, installs the app, loads the demo
# (crm_module.setup.demo.make_demo), serves the site on a free port of 127.0.0.1, runs the checks,
# saves the screenshots in a folder it prints, stops the server and drops the site.
#
# Environment (besides test.sh's CRM_BENCH_PATH, CRM_DB_ROOT_USER/PASSWORD, CRM_DB_HOST):
#   CRM_SKIP_BROWSER=1      skip this tier
#   CRM_KEEP_SITE=1         keep the site (its name is printed)
#   CRM_BROWSER_SHOTS       screenshot folder (default /tmp/crm-browser-<timestamp>)

BROWSER_CHROMIUM=/usr/bin/chromium
BROWSER_DRIVER=/usr/bin/chromedriver


browser_tools() {
	# Chromium, chromedriver and Selenium, installed when missing and possible; BROWSER_SKIP says why not.
	if [ ! -x "$BROWSER_CHROMIUM" ] || [ ! -x "$BROWSER_DRIVER" ]; then
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
			echo "installing chromium and chromium-driver with apt-get"
			local apt_log
			apt_log="$(mktemp)"
			{
				DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver </dev/null ||
					{ apt-get update -q </dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver </dev/null; }
			} >"$apt_log" 2>&1 || tail -5 "$apt_log"
			rm -f "$apt_log"
		fi
		if [ ! -x "$BROWSER_CHROMIUM" ] || [ ! -x "$BROWSER_DRIVER" ]; then
			BROWSER_SKIP="no $BROWSER_CHROMIUM or $BROWSER_DRIVER, and they could not be installed: run apt-get install chromium chromium-driver as root"
			return 1
		fi
	fi
	BROWSER_PY="$REPO/.ci-venv/bin/python"
	if [ ! -x "$BROWSER_PY" ] && ! python3 -m venv "$REPO/.ci-venv"; then
		BROWSER_SKIP="could not create $REPO/.ci-venv for Selenium"
		return 1
	fi
	if ! "$BROWSER_PY" -c "import selenium" 2>/dev/null &&
		! "$BROWSER_PY" -m pip install -q --disable-pip-version-check "selenium>=4.10"; then
		BROWSER_SKIP="Selenium is not installed and pip install selenium failed"
		return 1
	fi
}

browser_serve() {
	# the site on 127.0.0.1:BROWSER_PORT: Frappe's WSGI app with its /assets and /files, like `bench serve`
	# but on loopback only and without the debugger; BROWSER_SERVER_PID is the server process
	BROWSER_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
	BROWSER_RUN_DIR="$(mktemp -d)"
	chmod 777 "$BROWSER_RUN_DIR"
	as_bench_user "cd '$BENCH/sites' && echo \$\$ >'$BROWSER_RUN_DIR/pid' && exec ../env/bin/python -c \"import frappe.app as app, werkzeug.serving as serving; serving.run_simple('127.0.0.1', $BROWSER_PORT, app.application_with_statics(), threaded=True)\"" \
		>"$BROWSER_RUN_DIR/server.log" 2>&1 &
	local _
	for _ in $(seq 1 120); do
		if python3 -c "import urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:$BROWSER_PORT/api/method/ping', headers={'Host': '$BROWSER_SITE'}), timeout=5)" 2>/dev/null; then
			BROWSER_SERVER_PID="$(cat "$BROWSER_RUN_DIR/pid")"
			return 0
		fi
		sleep 0.5
	done
	tail -20 "$BROWSER_RUN_DIR/server.log"
	[ -s "$BROWSER_RUN_DIR/pid" ] && BROWSER_SERVER_PID="$(cat "$BROWSER_RUN_DIR/pid")"
	return 1
}

browser_cleanup() {
	# stop the server, drop the site (unless CRM_KEEP_SITE); safe to call twice
	if [ -n "${BROWSER_SERVER_PID:-}" ]; then
		kill "$BROWSER_SERVER_PID" 2>/dev/null
		BROWSER_SERVER_PID=""
	fi
	[ -n "${BROWSER_RUN_DIR:-}" ] && rm -rf "$BROWSER_RUN_DIR"
	BROWSER_RUN_DIR=""
	if [ -n "${BROWSER_SITE:-}" ]; then
		if [ -z "${CRM_KEEP_SITE:-}" ]; then
			as_bench_user "cd '$BENCH' && bench drop-site '$BROWSER_SITE' --db-root-username '$DB_USER' --db-root-password '$DB_PASS' --force --no-backup >/dev/null 2>&1; rm -rf 'archived/sites/$BROWSER_SITE'"
		else
			echo "kept the site $BROWSER_SITE (CRM_KEEP_SITE)"
		fi
		BROWSER_SITE=""
	fi
}

browser_fail() {
	summary+=("browser tier: FAILED ($1)")
	failed=$((failed + 1))
	status=1
}

browser_tier() {
	if [ -n "${CRM_SKIP_BROWSER:-}" ]; then
		summary+=("browser tier: SKIPPED (CRM_SKIP_BROWSER is set)")
		return 0
	fi
	if [ ! -x "$BENCH/env/bin/python" ] || [ ! -d "$BENCH/apps/frappe" ]; then
		summary+=("browser tier: SKIPPED (no Frappe bench at $BENCH; set CRM_BENCH_PATH to run it)")
		return 0
	fi
	if [ ! -e "$BENCH/apps/crm_module" ]; then
		summary+=("browser tier: SKIPPED (crm_module is not in the bench at $BENCH)")
		return 0
	fi
	log "Tier 3: browser (headless Chromium) on the bench at $BENCH"
	if ! browser_tools; then
		summary+=("browser tier: SKIPPED ($BROWSER_SKIP)")
		return 0
	fi
	db_admin || { browser_fail "no database admin account"; return 1; }
	echo "app under test: $(realpath "$BENCH/apps/crm_module")"
	# the desk loads app_include_js/css from sites/assets/crm_module: make it the app under test
	local assets="$BENCH/sites/assets/crm_module" public="$BENCH/apps/crm_module/crm_module/public"
	if [ "$(realpath -m "$assets")" != "$(realpath -m "$public")" ] && { [ -L "$assets" ] || [ ! -e "$assets" ]; }; then
		as_bench_user "ln -sfn '$public' '$assets'"
	fi

	local t0=$SECONDS
	local shots="${CRM_BROWSER_SHOTS:-/tmp/crm-browser-$(date +%Y%m%d-%H%M%S)}"
	mkdir -p "$shots"
	BROWSER_SITE="crm-browser-$(date +%s)-$$.localhost"
	# clean up on exit too, before whatever EXIT trap the caller had (test.sh drops its own site there)
	local previous_trap=""
	eval "set -- $(trap -p EXIT)"
	[ $# -ge 3 ] && previous_trap="$3"
	trap "browser_cleanup; $previous_trap" EXIT

	local rc=0
	if ! new_site "$BROWSER_SITE"; then
		browser_fail "site creation or install-app failed"
		rc=1
	elif ! as_bench_user "cd '$BENCH' && bench --site '$BROWSER_SITE' execute crm_module.setup.demo.make_demo"; then
		browser_fail "make_demo failed on $BROWSER_SITE"
		rc=1
	elif ! browser_serve; then
		browser_fail "could not serve $BROWSER_SITE on 127.0.0.1"
		rc=1
	else
		echo "site $BROWSER_SITE served on http://$BROWSER_SITE:$BROWSER_PORT after $((SECONDS - t0))s"
		run_checks browser "$t0" "(screenshots in $shots)" env SE_OFFLINE=true SE_AVOID_STATS=true timeout 900 \
			"$BROWSER_PY" "$REPO/tests_browser/run_browser.py" --site "$BROWSER_SITE" --port "$BROWSER_PORT" --bench "$BENCH" \
			--shots "$shots" || rc=1
	fi
	browser_cleanup
	if [ -n "$previous_trap" ]; then trap -- "$previous_trap" EXIT; else trap - EXIT; fi
	return "$rc"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	# standalone: this tier only
	# shellcheck source=scripts/bench_lib.sh
	source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh" && run_tier_alone browser_tier
fi
