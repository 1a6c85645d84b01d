#!/usr/bin/env bash
# End-to-end check against a running server: find -> book -> list -> reschedule -> cancel.
# Exits non-zero at the first step that does not do what it should.
# Usage: BOOKLINE_URL=http://localhost:3000 scripts/smoke.sh
set -euo pipefail
source "$(dirname "$0")/_lib.sh"

fail() { echo "SMOKE FAILED: $*" >&2; exit 1; }
step() { echo "== $*"; }
expect_ok() { # expect_ok STEP RESULT
  [ "$(json_get "$2" ok)" = "true" ] || fail "$1: $(json_get "$2" message) [$(json_get "$2" code)]"
  echo "   $(json_get "$2" message)"
}

# A fresh phone each run so repeated smoke runs never trip the per-phone cap.
phone="+1555$(printf '%07d' $(( (RANDOM * 32768 + RANDOM) % 10000000 )))"

step "health"
curl -sS --fail "${BOOKLINE_URL}/healthz" >/dev/null || fail "server not answering at ${BOOKLINE_URL}"

# Two days out, so the booking is clear of minimum notice and of the cancel/reschedule window.
from=$(node -e 'console.log(new Date(Date.now() + 2 * 86400e3).toISOString())')
later=$(node -e 'console.log(new Date(Date.now() + 5 * 86400e3).toISOString())')

step "find_available_slots"
r=$(call_tool find_available_slots "{\"service_name\":\"haircut\",\"start_date\":\"$from\",\"end_date\":\"$later\"}") || fail "find_available_slots HTTP error: $r"
expect_ok find_available_slots "$r"
first=$(json_get "$r" slots.0.start)
[ -n "$first" ] || fail "no slots offered"

step "book_appointment at $first"
r=$(call_tool book_appointment "{\"customer_name\":\"Smoke Test\",\"customer_phone\":\"$phone\",\"service_name\":\"haircut\",\"appointment_datetime\":\"$first\"}") || fail "book HTTP error: $r"
expect_ok book_appointment "$r"
id=$(json_get "$r" appointment.id)

step "list_appointments"
r=$(call_tool list_appointments "{\"customer_phone\":\"$phone\"}") || fail "list HTTP error: $r"
expect_ok list_appointments "$r"
[ "$(json_get "$r" appointments.0.id)" = "$id" ] || fail "booked appointment $id not listed"

step "reschedule_appointment"
r=$(call_tool get_next_available "{\"service_name\":\"haircut\",\"after\":\"$later\"}") || fail "get_next_available HTTP error: $r"
target=$(json_get "$r" slot.start)
[ -n "$target" ] || fail "no second slot to move to"
r=$(call_tool reschedule_appointment "{\"customer_phone\":\"$phone\",\"new_datetime\":\"$target\"}") || fail "reschedule HTTP error: $r"
expect_ok reschedule_appointment "$r"
[ "$(json_get "$r" appointment.start)" = "$target" ] || fail "appointment not at $target after the move"

step "cancel_appointment"
r=$(call_tool cancel_appointment "{\"customer_phone\":\"$phone\"}") || fail "cancel HTTP error: $r"
expect_ok cancel_appointment "$r"
r=$(call_tool list_appointments "{\"customer_phone\":\"$phone\"}")
[ "$(json_get "$r" appointments)" = "[]" ] || fail "appointment still listed after cancel"

echo "SMOKE OK"
