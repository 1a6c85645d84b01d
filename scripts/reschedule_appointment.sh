#!/usr/bin/env bash
# Usage: scripts/reschedule_appointment.sh PHONE NEW_DATETIME [APPOINTMENT_ID]
#   scripts/reschedule_appointment.sh 5550102030 "$(date -d 'next wednesday' +%F)T15:00"   # a time ahead
set -euo pipefail
source "$(dirname "$0")/_lib.sh"
if [ $# -lt 2 ]; then sed -n '2,3p' "$0"; exit 2; fi
args=$(node -e 'const [p,d,i]=process.argv.slice(1); const o={customer_phone:p,new_datetime:d}; if(i)o.appointment_id=i; console.log(JSON.stringify(o))' "$1" "$2" "${3:-}")
call_tool reschedule_appointment "$args"; echo
