#!/usr/bin/env bash
# Benchmarks on an EXISTING bench and site; they print figures and assert nothing.
#
#   CRM_SITE=crm.localhost bash scripts/benchmark.sh            # jobs: scoring + health at 10k and 100k rows
#   CRM_SITE=crm.localhost CRM_BENCH_SIZES=10000 bash scripts/benchmark.sh
#   CRM_SITE=bench.localhost bash scripts/benchmark.sh dataset  # make dataset L (CRM_SCALE, default 1.0)
#   CRM_SITE=bench.localhost bash scripts/benchmark.sh reads    # dashboard, lists, reports, search on it
#   CRM_SITE=bench.localhost bash scripts/benchmark.sh jobs-l   # nightly health + scoring on it
#   CRM_SITE=bench.localhost bash scripts/benchmark.sh peer     # fill Frappe CRM (100k leads + deals), compare
#   CRM_SITE=bench.localhost bash scripts/benchmark.sh load     # 50 clients x 60 s on gunicorn (loopback)
#   CRM_SITE=bench.localhost bash scripts/benchmark.sh churn    # churn model AUC: generated data and the site's
#   CRM_SITE=bench.localhost bash scripts/benchmark.sh forecast-backtest  # learned vs stage-weighted forecast:
#       generated histories and the site's own (python -m crm_module.benchmarks.forecast_backtest: generated only)
#   CRM_SITE=bench.localhost bash scripts/benchmark.sh sync     # ERPNext / Contact sync: save cost, backfill rate
#   CRM_SITE=bench.localhost bash scripts/benchmark.sh sync-scale  # backfill of 10k customers + 20k contacts
#   CRM_SITE=bench.localhost bash scripts/benchmark.sh all      # reads, peer, load, jobs-l on dataset L
#   CRM_SITE=bench.localhost bash scripts/benchmark.sh remove   # delete dataset L
#   CRM_SITE=web.localhost bash scripts/benchmark.sh web-lead   # 1,000 web-to-lead submissions on gunicorn
#       (loopback, CRM_WEB_LEAD_PORT 8021): 5xx count, the per-IP rate limit, one lead per distinct email
#   CRM_SITE=bench.localhost bash scripts/benchmark.sh import [--rows N] [--doctype leads|contacts|interactions]
#       # the set-based import engine on a generated file (default 100000 leads, 1 % bad rows), twice
#   CRM_SITE=mig.localhost bash scripts/benchmark.sh migrate [--rows N]  # crm-migrate frappe-crm of N leads, N deals
#       (half without organization), N notes (default 100000), timed per step, then a second run; cleans up
#   CRM_SITE=bench.localhost bash scripts/benchmark.sh data-import [--rows N]  # Frappe's Data Import (through the
#       import engine) of N leads and N interactions (default 100000), Report View export of the leads
#
# load: CRM_LOAD_CLIENTS (50), CRM_LOAD_SECONDS (60), CRM_LOAD_WORKERS (gunicorn workers, 4),
#       CRM_LOAD_PORT (8013); CRM_LOAD_URL points at an already served site instead (loopback only).
#
# Environment: CRM_BENCH_PATH (default /home/frappe/frappe-bench), CRM_SITE (required), CRM_BENCH_SIZES.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${CRM_BENCH_PATH:-/home/frappe/frappe-bench}"
SITE="${CRM_SITE:?set CRM_SITE to a site that has crm_module installed}"
SIZES="${CRM_BENCH_SIZES:-10000,100000}"
# shellcheck source=scripts/bench_lib.sh
source "$REPO/scripts/bench_lib.sh"

if [ ! -d "$BENCH/sites/$SITE" ]; then
	echo "No site $SITE on the bench at $BENCH (set CRM_BENCH_PATH / CRM_SITE)." >&2
	exit 1
fi
load_run() {
	local port="${CRM_LOAD_PORT:-8013}" url="${CRM_LOAD_URL:-}" plan server=""
	plan="$(mktemp /tmp/crm-load-XXXXXX.json)"
	chmod 666 "$plan"
	if [ -z "$url" ]; then
		url="http://127.0.0.1:$port"
		as_bench_user "cd '$BENCH/sites' && exec ../env/bin/gunicorn -b 127.0.0.1:$port -w ${CRM_LOAD_WORKERS:-4} -t 120 --preload frappe.app:application" >/tmp/crm-load-gunicorn.log 2>&1 &
		server=$!
		for _ in $(seq 1 60); do curl -s -o /dev/null "$url/api/method/ping" -H "Host: $SITE" && break; sleep 1; done
	fi
	as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.load.prepare --kwargs \"{'path': '$plan'}\"" &&
		as_bench_user "cd '$BENCH' && ./env/bin/python -m crm_module.benchmarks.load '$url' '$SITE' '$plan' ${CRM_LOAD_CLIENTS:-50} ${CRM_LOAD_SECONDS:-60}" &&
		as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.load.verify --kwargs \"{'path': '$plan'}\"" &&
		as_bench_user "cd '$BENCH' && ./env/bin/python -m crm_module.benchmarks.load --floor '$url' '$SITE' '$plan' ${CRM_LOAD_CLIENTS:-50} 20"
	local rc=$?
	if [ -n "$server" ]; then pkill -P "$server" 2>/dev/null; kill "$server" 2>/dev/null; pkill -f "gunicorn -b 127.0.0.1:$port" 2>/dev/null; fi
	rm -f "$plan"
	return $rc
}

web_lead_run() {
	# the web-to-lead burst (issue 21): its own gunicorn on loopback, stopped by its pid file
	local port="${CRM_WEB_LEAD_PORT:-8021}" url plan pidfile
	url="http://127.0.0.1:$port"
	plan="$(mktemp /tmp/crm-web-lead-XXXXXX.json)"
	pidfile="$(mktemp -u /tmp/crm-web-lead-gunicorn-XXXXXX.pid)"
	chmod 666 "$plan"
	as_bench_user "cd '$BENCH/sites' && exec ../env/bin/gunicorn -b 127.0.0.1:$port -w ${CRM_LOAD_WORKERS:-4} -t 120 -p '$pidfile' --preload frappe.app:application" >/tmp/crm-web-lead-gunicorn.log 2>&1 &
	for _ in $(seq 1 60); do curl -s -o /dev/null "$url/api/method/ping" -H "Host: $SITE" && break; sleep 1; done
	as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.web_lead.prepare --kwargs \"{'path': '$plan'}\"" &&
		as_bench_user "cd '$BENCH' && ./env/bin/python -m crm_module.benchmarks.web_lead '$url' '$SITE' '$plan'" &&
		as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.web_lead.verify --kwargs \"{'path': '$plan'}\""
	local rc=$?
	[ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
	rm -f "$plan" "$plan.result" "$pidfile"
	return $rc
}

case "${1:-jobs}" in
	web-lead) web_lead_run ;;
	jobs) as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.scoring_health.run --kwargs \"{'sizes': '$SIZES'}\"" ;;
	dataset) as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.dataset.make --kwargs \"{'scale': ${CRM_SCALE:-1.0}}\"" ;;
	jobs-l) as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.jobs_at_scale.run" ;;
	reads) as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.reads.run" ;;
	peer) as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.peer.fill && bench --site '$SITE' execute crm_module.benchmarks.peer.compare" ;;
	load) load_run ;;
	churn) as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.churn_eval.run" ;;
	forecast-backtest) as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.forecast_backtest.run" ;;
	# ERPNext / Contact sync (issue 20): median save cost synced vs unsynced, backfill rate
	sync) as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.erp_sync.run --kwargs \"{'saves': ${CRM_SYNC_SAVES:-200}, 'customers': ${CRM_SYNC_CUSTOMERS:-200}}\"" ;;
	# the set-based backfill at 10,000 customers + 20,000 contacts (CRM_SYNC_SCALE), extrapolated to 100k + 200k
	sync-scale) as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.erp_sync.backfill_at_scale --kwargs \"{'customers': ${CRM_SYNC_SCALE:-10000}}\"" ;;
	all)
		as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.reads.run"
		as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.peer.compare"
		load_run
		as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.jobs_at_scale.run"
		;;
	remove) as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.dataset.remove" ;;
	import | data-import)
		what="$1" rows=100000 doctype=leads
		shift
		while [ $# -gt 0 ]; do
			case "$1" in
				--rows) rows="${2:-}"; shift 2 || shift ;;
				--rows=*) rows="${1#--rows=}"; shift ;;
				--doctype) doctype="${2:-}"; shift 2 || shift ;;
				--doctype=*) doctype="${1#--doctype=}"; shift ;;
				*) echo "unknown option for $what: $1 (use --rows N, --doctype leads|contacts|interactions)" >&2; exit 2 ;;
			esac
		done
		case "$rows" in '' | *[!0-9]*) echo "--rows takes a positive number" >&2; exit 2 ;; esac
		case "$doctype" in leads | contacts | interactions) ;; *) echo "--doctype takes leads, contacts or interactions" >&2; exit 2 ;; esac
		if [ "$what" = import ]; then
			as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.import_engine.run --kwargs \"{'rows': $rows, 'doctype': '$doctype'}\""
		else
			as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.imports.run --kwargs \"{'rows': $rows}\""
		fi
		;;
	migrate) rows=100000; [ "${2:-}" = --rows ] && rows="${3:-}"; case "$rows" in '' | *[!0-9]*) echo "--rows takes a positive number" >&2; exit 2 ;; esac; as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.migrate.run --kwargs \"{'rows': $rows}\"" ;;
	*) echo "usage: bash scripts/benchmark.sh [jobs|dataset|reads|peer|load|churn|jobs-l|all|remove|import [--rows N]]" >&2; exit 2 ;;
esac
