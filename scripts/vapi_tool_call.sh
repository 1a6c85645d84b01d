#!/usr/bin/env bash
# Sends a Vapi "tool-calls" server message, as Vapi would. VAPI_SECRET is sent when set.
# Usage: scripts/vapi_tool_call.sh TOOL 'JSON_ARGS' [CALLER_NUMBER]
#   scripts/vapi_tool_call.sh list_appointments '{}' +15550102030
set -euo pipefail
source "$(dirname "$0")/_lib.sh"
if [ $# -lt 2 ]; then sed -n '3,4p' "$0"; exit 2; fi
body=$(node -e 'const [t,a,c]=process.argv.slice(1); console.log(JSON.stringify({message:{type:"tool-calls",call:{id:"curl-call",customer:{number:c||"+15550102030"}},toolCallList:[{id:"curl_"+Date.now(),type:"function",function:{name:t,arguments:a}}]}}))' "$1" "$2" "${3:-}")
secret=()
[ -n "${VAPI_SECRET:-}" ] && secret=(-H "X-Vapi-Secret: ${VAPI_SECRET}")
curl -sS --fail-with-body -X POST "${BOOKLINE_URL}/webhooks/vapi" -H 'Content-Type: application/json' "${secret[@]}" -d "$body"; echo
