#!/usr/bin/env bash
# Times lead scoring and customer health on generated data (and prints the AUC of the conversion model)
# on an EXISTING bench and site; the generated rows are deleted afterwards.
#
#   CRM_SITE=crm.localhost bash scripts/benchmark.sh            # sizes 10000 and 100000
#   CRM_SITE=crm.localhost CRM_BENCH_SIZES=10000 bash scripts/benchmark.sh
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
as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.scoring_health.run --kwargs \"{'sizes': '$SIZES'}\""
