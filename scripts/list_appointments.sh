#!/usr/bin/env bash
# Usage: scripts/list_appointments.sh PHONE
set -euo pipefail
source "$(dirname "$0")/_lib.sh"
if [ $# -lt 1 ]; then sed -n '2p' "$0"; exit 2; fi
call_tool list_appointments "$(node -e 'console.log(JSON.stringify({customer_phone:process.argv[1]}))' "$1")"; echo
