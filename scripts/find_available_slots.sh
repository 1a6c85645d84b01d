#!/usr/bin/env bash
# Usage: scripts/find_available_slots.sh [service] [start_date] [time_of_day]
#   scripts/find_available_slots.sh haircut "$(date -d 'next tuesday' +%F)" afternoon   # any day ahead
set -euo pipefail
source "$(dirname "$0")/_lib.sh"
args=$(node -e 'const [s,d,t]=process.argv.slice(1); const a={service_name:s||"haircut"}; if(d)a.start_date=d; if(t)a.time_of_day=t; console.log(JSON.stringify(a))' "${1:-}" "${2:-}" "${3:-}")
call_tool find_available_slots "$args"; echo
