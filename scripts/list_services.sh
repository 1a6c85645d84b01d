#!/usr/bin/env bash
# Usage: scripts/list_services.sh
set -euo pipefail
source "$(dirname "$0")/_lib.sh"
call_tool list_services '{}'; echo
