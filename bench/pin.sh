# Sourced by bench/run.sh, api.sh and growth.sh: the CPU pinning settings they share.
# In: PIN (default 1 when there are 2+ CPUs and taskset), SERVER_CPU (1), WRK_CPU (0), THREADS.
# Out: those, THREADS defaulted (1 pinned, 0 = one per CPU unpinned), and SERVER_PIN / WRK_PIN:
# the command prefixes for the server and for wrk (empty arrays when unpinned).
if [[ -z ${PIN:-} ]]; then
  PIN=0
  (($(nproc) >= 2)) && command -v taskset >/dev/null && PIN=1
fi
SERVER_CPU=${SERVER_CPU:-1}
WRK_CPU=${WRK_CPU:-0}
if [[ $PIN == 1 ]]; then THREADS=${THREADS:-1}; else THREADS=${THREADS:-0}; fi
SERVER_PIN=()
WRK_PIN=()
if [[ $PIN == 1 ]]; then
  pin_fail() { printf 'bench: %s\n' "$*" >&2; exit 1; }
  command -v taskset >/dev/null || pin_fail "PIN=1 needs taskset (util-linux)"
  taskset -c "$SERVER_CPU" true 2>/dev/null || pin_fail "cannot pin to CPU $SERVER_CPU"
  taskset -c "$WRK_CPU" true 2>/dev/null || pin_fail "cannot pin to CPU $WRK_CPU"
  [[ $SERVER_CPU != "$WRK_CPU" ]] || pin_fail "SERVER_CPU and WRK_CPU must differ"
  SERVER_PIN=(taskset -c "$SERVER_CPU")
  WRK_PIN=(taskset -c "$WRK_CPU")
fi
