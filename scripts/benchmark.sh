#!/usr/bin/env bash
# Benchmarks on an EXISTING bench and site; they print figures and assert nothing.
#
#   CRM_SITE=crm.localhost bash scripts/benchmark.sh            # jobs: scoring + health at 10k and 100k rows
#   CRM_SITE=crm.localhost CRM_BENCH_SIZES=10000 bash scripts/benchmark.sh
#   CRM_SITE=bench.localhost bash scripts/benchmark.sh dataset  # make dataset L (CRM_SCALE, default 1.0)
#   CRM_SITE=bench.localhost bash scripts/benchmark.sh reads    # dashboard, lists, reports, search on it
#   CRM_SITE=bench.localhost bash scripts/benchmark.sh jobs-l   # nightly health + scoring on it
#   CRM_SITE=bench.localhost bash scripts/benchmark.sh remove   # delete dataset L
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
case "${1:-jobs}" in
	jobs) as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.scoring_health.run --kwargs \"{'sizes': '$SIZES'}\"" ;;
	dataset) as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.dataset.make --kwargs \"{'scale': ${CRM_SCALE:-1.0}}\"" ;;
	jobs-l) as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.jobs_at_scale.run" ;;
	reads) as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.reads.run" ;;
	remove) as_bench_user "cd '$BENCH' && bench --site '$SITE' execute crm_module.benchmarks.dataset.remove" ;;
	*) echo "usage: bash scripts/benchmark.sh [jobs|dataset|reads|jobs-l|remove]" >&2; exit 2 ;;
esac
