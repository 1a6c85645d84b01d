#!/usr/bin/env bash
# Usage: scripts/book_appointment.sh NAME PHONE SERVICE DATETIME [STAFF]
#   scripts/book_appointment.sh "Jane Doe" "(555) 010-2030" haircut "$(date -d 'next tuesday' +%F)T10:00"   # a time ahead
set -euo pipefail
source "$(dirname "$0")/_lib.sh"
if [ $# -lt 4 ]; then sed -n '2,3p' "$0"; exit 2; fi
args=$(node -e 'const [n,p,s,d,st]=process.argv.slice(1); const o={customer_name:n,customer_phone:p,service_name:s,appointment_datetime:d}; if(st)o.staff_name=st; console.log(JSON.stringify(o))' "$1" "$2" "$3" "$4" "${5:-}")
call_tool book_appointment "$args"; echo
