#!/usr/bin/env bash
# Usage: scripts/cancel_appointment.sh PHONE [APPOINTMENT_ID] [REASON]
set -euo pipefail
source "$(dirname "$0")/_lib.sh"
if [ $# -lt 1 ]; then sed -n '2p' "$0"; exit 2; fi
args=$(node -e 'const [p,i,r]=process.argv.slice(1); const o={customer_phone:p}; if(i)o.appointment_id=i; if(r)o.reason=r; console.log(JSON.stringify(o))' "$1" "${2:-}" "${3:-}")
call_tool cancel_appointment "$args"; echo
