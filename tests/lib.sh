# shellcheck shell=bash
# Sourced by the tests' run.sh scripts that start a server of their own (web, console, mcp).

# wait_for_url PID OUT PATTERN WHAT: prints the first match of `grep -o PATTERN` in the file OUT
# (where the server started as PID announces its URL), waiting up to 30 s for it. Fails with
# "WHAT exited" when the server stops first, "WHAT did not start" when no URL shows.
wait_for_url() {
  local pid=$1 out=$2 pattern=$3 what=$4 url
  for _ in $(seq 1 300); do
    url="$(grep -o "$pattern" "$out" | head -n 1 || true)"
    [[ -n "$url" ]] && { echo "$url"; return 0; }
    kill -0 "$pid" 2>/dev/null || { echo "$what exited" >&2; return 1; }
    sleep 0.1
  done
  echo "$what did not start" >&2
  return 1
}
