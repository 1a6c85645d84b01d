# Shared by the curl scripts. BOOKLINE_URL picks the server (default http://localhost:3000);
# TOOLS_API_KEY, when set, is sent as a bearer token.
BOOKLINE_URL="${BOOKLINE_URL:-http://localhost:3000}"

# call_tool NAME JSON  -> prints the result object; exit status 1 on HTTP errors.
call_tool() {
  local auth=()
  [ -n "${TOOLS_API_KEY:-}" ] && auth=(-H "Authorization: Bearer ${TOOLS_API_KEY}")
  curl -sS --fail-with-body -X POST "${BOOKLINE_URL}/tools/$1" \
    -H 'Content-Type: application/json' "${auth[@]}" -d "$2"
}

# json_get JSON PATH -> prints one field (dot path, e.g. appointment.id); uses node, which the service needs anyway.
json_get() {
  node -e 'let v=JSON.parse(process.argv[1]); for (const k of process.argv[2].split(".")) v = v?.[k]; process.stdout.write(v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));' "$1" "$2"
}
