#!/usr/bin/env bash
# Brings up a development site with demo data on an EXISTING Frappe v15 bench and serves the desk.
#
#   bash scripts/dev_site.sh            # site crm.localhost on http://localhost:8000 (Administrator / admin)
#
# Environment: CRM_BENCH_PATH (default /home/frappe/frappe-bench), CRM_SITE (default crm.localhost),
# CRM_PORT (default 8000), CRM_DB_HOST, CRM_DB_ROOT_USER / CRM_DB_ROOT_PASSWORD (see scripts/test.sh),
# CRM_NO_SERVE=1 to set the site up without serving it.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${CRM_BENCH_PATH:-/home/frappe/frappe-bench}"
DB_HOST="${CRM_DB_HOST:-127.0.0.1}"
SITE="${CRM_SITE:-crm.localhost}"
PORT="${CRM_PORT:-8000}"
# shellcheck source=scripts/bench_lib.sh
source "$REPO/scripts/bench_lib.sh"

if [ ! -x "$BENCH/env/bin/python" ]; then
	echo "No Frappe bench at $BENCH. Get one as the README section \"Get a Frappe v15 bench\" shows (bench init --frappe-branch version-15 frappe-bench), or set CRM_BENCH_PATH to yours." >&2
	exit 1
fi

link_app
if [ ! -d "$BENCH/sites/$SITE" ]; then
	db_admin
	echo "creating $SITE ..."
	new_site "$SITE"
elif ! as_bench_user "cd '$BENCH' && bench --site '$SITE' list-apps" | grep -q crm_module; then
	as_bench_user "cd '$BENCH' && bench --site '$SITE' install-app crm_module"
else
	as_bench_user "cd '$BENCH' && bench --site '$SITE' migrate"
fi
as_bench_user "cd '$BENCH' && bench --site '$SITE' set-config developer_mode 1 && bench --site '$SITE' execute crm_module.setup.demo.make_demo && bench build --app crm_module >/dev/null"
echo "demo data ready on $SITE (log in as Administrator / ${CRM_ADMIN_PASSWORD:-admin}, or rep1@demo.example.com (rep2, rep3, manager) / Demo@12345)"
[ -n "${CRM_NO_SERVE:-}" ] && exit 0
echo "serving http://localhost:$PORT/app/crm-hub  (Ctrl+C to stop)"
as_bench_user "cd '$BENCH' && bench --site '$SITE' serve --port '$PORT'"
