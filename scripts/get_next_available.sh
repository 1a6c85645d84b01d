#!/usr/bin/env bash
# Usage: scripts/get_next_available.sh [service] [after] [staff]
#   scripts/get_next_available.sh "beard trim" "$(date -d 'next tuesday' +%F)T12:00" Sam   # any time ahead
set -euo pipefail
source "$(dirname "$0")/_lib.sh"
args=$(node -e 'const [s,a,p]=process.argv.slice(1); const o={service_name:s||"haircut"}; if(a)o.after=a; if(p)o.staff_name=p; console.log(JSON.stringify(o))' "${1:-}" "${2:-}" "${3:-}")
call_tool get_next_available "$args"; echo
