#!/usr/bin/python3
"""Writes the "issue21" section of bench/RESULTS.md: bench/issue21.sh's figures, each ratio beside
its target with a met / not met mark.

usage: issue21_report.py --run-tsv F --writes-tsv F --engine-json F --footprint F --profiles DIR
                         --out MD --command CMD [--profile-top N] [--note TEXT]...
--run-tsv: bench/run.sh's raw runs (servers cruddur, cruddur-persistent, bare); --writes-tsv and
--engine-json: bench/writes.sh's; --footprint: bench/startup.py's STARTUP_RESULT lines (names
in-memory, new-data-dir); --profiles: SERVER-OP.txt (`perf report --no-children --sort dso,sym`),
SERVER-OP.dso.txt (`--sort dso`) and SERVER-OP.wrk (wrk's output) for SERVER in-memory,
persistent and OP put_item, query. Cells are medians over rounds; ratios are medians of the
per-round ratios (the servers of one round ran back to back).
"""
import argparse
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results_md  # noqa: E402
import writes_report  # noqa: E402
from engine_report import load as load_engine  # noqa: E402
from report import (CEILING_TARGETS, P99_ONE_CONN_TARGET_MS, PERSISTENT_TARGET,  # noqa: E402
                    machine_info)

OPS = [("put_item", "PutItem"), ("get_item", "GetItem"), ("query", "Query (20 items)")]
TARGET_CONNS = 32
# Start-up to the first answer (ms) and idle RSS (MB of 1024 kB): in memory, new data dir.
STARTUP_TARGETS_MS = {"in-memory": 5.0, "new-data-dir": 10.0}
RSS_TARGETS_MB = {"in-memory": 10.0, "new-data-dir": 14.0}
FOOTPRINT_CASES = [("in-memory", "in memory (`ddb serve --in-memory`)"),
                   ("new-data-dir", "new data dir (`--data-dir <new dir> ddb serve`)")]
PROFILE_OPS = [("put_item", "PutItem"), ("query", "Query (20 items)")]
PROFILE_SERVERS = [("in-memory", "in memory"), ("persistent", "persistent")]


def mark(ok):
    return "—" if ok is None else ("met" if ok else "**not met**")


def num(v, fmt="{:.2f}"):
    return "—" if v is None else fmt.format(v)


def table(header, rows, align=None):
    align = align or ["---"] + ["--:"] * (len(header) - 1)
    return (["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
            + ["| " + " | ".join(r) + " |" for r in rows])


class Runs:
    """bench/lib.sh's run_wrk lines: (server, op, conns, round) -> (rate, p50 us, p99 us, CPU us
    per request, of which RocksDB's flush and compaction threads' CPU us, and theirs during the
    run), rate in requests (or with `items`, items) per second and the CPU per item."""

    def __init__(self, path, items=None):
        self.raw, self.problems = {}, []
        with open(path) as f:
            for line in f:
                p = line.rstrip("\n").split("\t")
                if len(p) not in (11, 13):  # 13: with the background CPU
                    continue
                requests, duration_us, p50, p99, status_err, sock_err, cpu_us = map(int, p[4:11])
                bg_us, bg_run_us = map(int, p[11:]) if len(p) == 13 else (0, 0)
                if status_err or sock_err:
                    self.problems.append(f"{p[0]} {p[1]} c={p[2]} round {p[3]}: {status_err} "
                                         f"non-2xx answers, {sock_err} socket errors")
                n = (items or {}).get(p[1], 1) * requests
                if n and duration_us:
                    self.raw[(p[0], p[1], int(p[2]), int(p[3]))] = (
                        n / (duration_us / 1e6), p50, p99, cpu_us / n, bg_us / n, bg_run_us / n)

    def cell(self, server, op, conns):
        samples = [v for k, v in self.raw.items() if k[:3] == (server, op, conns)]
        return (tuple(statistics.median(s[i] for s in samples) for i in range(6))
                if samples else None)

    def ratio(self, a, b, op, conns):
        """a / b by rate, and by CPU (b's CPU per request over a's): medians of the rounds."""
        rates, cpus = [], []
        for k, v in self.raw.items():
            other = self.raw.get((b, op, conns, k[3]))
            if k[:3] != (a, op, conns) or other is None:
                continue
            if other[0]:
                rates.append(v[0] / other[0])
            if v[3]:
                cpus.append(other[3] / v[3])
        return (statistics.median(rates) if rates else None,
                statistics.median(cpus) if cpus else None)


def ratio_cell(by_rate, by_cpu):
    return f"{num(by_rate)} (CPU {num(by_cpu)})"


def reads_section(runs, verdicts):
    rows = []
    for op, label in OPS:
        mem = runs.cell("cruddur", op, TARGET_CONNS)
        disk = runs.cell("cruddur-persistent", op, TARGET_CONNS)
        bare = runs.cell("bare", op, TARGET_CONNS)
        if not (mem or disk or bare):
            continue
        p_rate, p_cpu = runs.ratio("cruddur-persistent", "cruddur", op, TARGET_CONNS)
        c_rate, c_cpu = runs.ratio("cruddur", "bare", op, TARGET_CONNS)
        p_ok = None if p_rate is None else p_rate >= PERSISTENT_TARGET
        c_ok = None if c_rate is None else c_rate >= CEILING_TARGETS[op]
        verdicts += [p_ok, c_ok]
        rows.append([label] + [num(c and c[0], "{:,.0f}") for c in (mem, disk, bare)]
                    + [ratio_cell(p_rate, p_cpu), f"≥ {PERSISTENT_TARGET}", mark(p_ok),
                       ratio_cell(c_rate, c_cpu), f"≥ {CEILING_TARGETS[op]}", mark(c_ok)]
                    + [num(c and c[3], "{:.1f}") for c in (mem, disk, bare)])
    header = ["operation", "in memory req/s", "persistent req/s", "bare req/s",
              "persistent / in memory", "target", "met?", "in memory / bare", "target", "met?",
              "CPU µs/req in memory", "persistent", "bare"]
    return table(header, rows)


def latency_section(runs, verdicts):
    rows = []
    for op, label in OPS:
        row, any_cell = [label], False
        for server in ("cruddur", "cruddur-persistent"):
            c = runs.cell(server, op, 1)
            ok = None if c is None else c[2] / 1000 < P99_ONE_CONN_TARGET_MS
            any_cell |= c is not None
            verdicts.append(ok)
            row += [num(c and c[1] / 1000), num(c and c[2] / 1000), mark(ok)]
        if any_cell:
            rows.append(row)
    header = ["operation", "in memory p50 ms", f"p99 ms (< {P99_ONE_CONN_TARGET_MS:.0f})", "met?",
              "persistent p50 ms", f"p99 ms (< {P99_ONE_CONN_TARGET_MS:.0f})", "met?"]
    return table(header, rows)


def writes_section(writes_tsv, engine_json, verdicts):
    items = {op: n for op, _, n, _ in writes_report.OPS}
    runs = Runs(writes_tsv, items)
    try:
        _, medians, _ = load_engine(engine_json)
    except (OSError, ValueError, KeyError):
        medians = {}
    rows = []
    for op, label, n, bench in writes_report.OPS:
        mem = runs.cell("in-memory", op, TARGET_CONNS)
        disk = runs.cell("persistent", op, TARGET_CONNS)
        if not (mem or disk):
            continue
        p_rate, p_cpu = runs.ratio("persistent", "in-memory", op, TARGET_CONNS)
        p_ok = None if p_rate is None else p_rate >= writes_report.PERSISTENT_TARGET
        verdicts.append(p_ok)
        row = [label, num(mem and mem[0], "{:,.0f}"), num(disk and disk[0], "{:,.0f}"),
               ratio_cell(p_rate, p_cpu), f"≥ {writes_report.PERSISTENT_TARGET}", mark(p_ok)]
        # The limit: Engine::Execute in-process on one thread (BM_*/1 in memory, /0 RocksDB).
        for server, c, arg in (("in-memory", mem, "1"), ("persistent", disk, "0")):
            limit = medians.get(f"{bench}/{arg}")
            if c is None or limit is None:
                row += ["—", "—"]
                verdicts.append(None)
                continue
            # Plus the flush and compaction CPU per item the server's writes cost in the run
            # (bench/writes_report.py: the in-process runs are too short to pay it).
            samples = [v for k, v in runs.raw.items() if k[:3] == (server, op, TARGET_CONNS)]
            share, share_cpu, thread, _ = writes_report.limit_shares(samples, limit[0] / n)
            ok = share >= writes_report.LIMIT_TARGET
            verdicts.append(ok)
            thread_only = f"; thread only {thread:.2f}" if c[4] else ""
            row += [ratio_cell(share, share_cpu) + thread_only, mark(ok)]
        rows.append(row)
    t = writes_report.LIMIT_TARGET
    header = ["workload", "in memory items/s", "persistent items/s", "persistent / in memory",
              "target", "met?", f"in memory / in-process limit (≥ {t})", "met?",
              f"persistent / in-process limit (≥ {t})", "met?"]
    return table(header, rows), runs.problems


def footprint_section(path, verdicts):
    results = {}
    with open(path) as f:
        for line in f:
            if line.startswith("STARTUP_RESULT "):
                fields = dict(kv.split("=", 1) for kv in line.split()[1:])
                results[fields["name"]] = fields
    base = results.get("in-memory")
    rows = []
    for name, label in FOOTPRINT_CASES:
        r = results.get(name)
        if r is None:
            continue
        ms, rss = float(r["median_ms"]), float(r["rss_kb"]) / 1024
        ms_ok, rss_ok = ms <= STARTUP_TARGETS_MS[name], rss <= RSS_TARGETS_MB[name]
        verdicts += [ms_ok, rss_ok]
        vs = "" if name == "in-memory" or base is None else (
            f" ({ms / float(base['median_ms']):.2f} × in memory)")
        vs_rss = "" if name == "in-memory" or base is None else (
            f" ({rss * 1024 / float(base['rss_kb']):.2f} × in memory)")
        rows.append([label, f"{ms:.1f}{vs}", f"≤ {STARTUP_TARGETS_MS[name]:.0f}",
                     f"{ms / STARTUP_TARGETS_MS[name]:.2f}", mark(ms_ok),
                     f"{rss:.1f}{vs_rss}", f"≤ {RSS_TARGETS_MB[name]:.0f}",
                     f"{rss / RSS_TARGETS_MB[name]:.2f}", mark(rss_ok),
                     f"{float(r['anon_kb']) / 1024:.1f} + {float(r['file_kb']) / 1024:.1f}",
                     r["cpu_ms"], r["threads"], f"{r['min_ms']}–{r['max_ms']}",
                     r["first_ms"]])
    header = ["case", "start-up ms (median)", "target", "÷ target", "met?", "idle RSS MB",
              "target", "÷ target", "met?", "anon + file MB", "CPU ms to the answer", "threads",
              "start-up min–max ms", "first run ms"]
    return table(header, rows, ["---"] + ["--:"] * (len(header) - 1))


_PLACEHOLDERS = [("operator()", "operator\x01"), ("operator<<", "operator\x02"),
                 ("operator<=", "operator\x03"), ("operator<", "operator\x04"),
                 ("operator>>", "operator\x05"), ("operator>=", "operator\x06"),
                 ("operator->", "operator\x07"), ("operator>", "operator\x08"),
                 ("(anonymous namespace)", "\x0e")]


def fold(symbol):
    """A C++ symbol without its template arguments, parameters, return type and clone suffix:
    what one row of the profile tables adds up."""
    if re.fullmatch(r"0x[0-9a-f]+", symbol):
        return "(no symbol)"
    s = re.sub(r" \[clone [^\]]*\]|@@?GLIBC\S*$|(\.(isra|constprop|part|cold)(\.\d+)?)+$", "",
               symbol)
    for a, b in _PLACEHOLDERS:
        s = s.replace(a, b)
    for pattern in (r"<[^<>]*>", r"\([^()]*\)"):
        while True:
            t = re.sub(pattern, "", s)
            if t == s:
                break
            s = t
    s = re.sub(r"\s+const$", "", s.strip())
    if " " in s and "operator" not in s:
        s = s.rsplit(" ", 1)[1]  # a template function's return type
    for a, b in _PLACEHOLDERS:
        s = s.replace(b, a)
    return s.replace("(anonymous namespace)", "(anon)")


def dso_name(dso):
    return "kernel" if dso.startswith("[kernel") else os.path.basename(dso)


_LINE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*?)\s*$")


def read_profile(path):
    """(event, {(dso, folded symbol): % of samples}) of `perf report --sort dso,sym`."""
    event, folded = None, {}
    with open(path) as f:
        for line in f:
            m = re.match(r"# Samples: \S+\s+of event '([^']*)'", line)
            if m:
                event = m.group(1)
                continue
            m = _LINE.match(line)
            if m:
                key = (dso_name(m.group(2)), fold(m.group(4)))
                folded[key] = folded.get(key, 0.0) + float(m.group(1))
    return event, folded


def read_dsos(path):
    """(samples, {dso: % of samples}) of `perf report --sort dso -n`."""
    samples, shares = 0, {}
    with open(path) as f:
        for line in f:
            m = re.match(r"^\s*([\d.]+)%\s+(\d+)\s+(\S+)\s*$", line)
            if m:
                name = dso_name(m.group(3))
                shares[name] = shares.get(name, 0.0) + float(m.group(1))
                samples += int(m.group(2))
    return samples, shares


def wrk_rate(path):
    try:
        with open(path) as f:
            m = re.search(r"BENCH_RESULT requests=(\d+) duration_us=(\d+)", f.read())
    except OSError:
        return None
    return int(m.group(1)) / (int(m.group(2)) / 1e6) if m else None


def profile_sections(directory, top):
    md = []
    for op, label in PROFILE_OPS:
        profiles = {}
        for server, _ in PROFILE_SERVERS:
            path = os.path.join(directory, f"{server}-{op}.txt")
            if os.path.exists(path):
                profiles[server] = read_profile(path)
        if not profiles:
            continue
        keys = sorted({k for _, f in profiles.values() for k in f},
                      key=lambda k: -max(f.get(k, 0.0) for _, f in profiles.values()))[:top]
        rows = [[f"`{sym}`", dso] + [num(profiles[s][1].get((dso, sym)), "{:.1f}")
                                     if s in profiles else "—" for s, _ in PROFILE_SERVERS]
                for dso, sym in keys]
        rows.append(["all the rows above", ""] + [
            f"{sum(profiles[s][1].get(k, 0.0) for k in keys):.1f}" if s in profiles else "—"
            for s, _ in PROFILE_SERVERS])
        header = ["function (folded)", "binary"] + [f"{name} % (self)"
                                                    for _, name in PROFILE_SERVERS]
        md += [f"#### {label}", ""]
        md += table(header, rows, ["---", "---"] + ["--:"] * len(PROFILE_SERVERS)) + [""]
        for server, name in PROFILE_SERVERS:
            if server not in profiles:
                continue
            samples, dsos = read_dsos(os.path.join(directory, f"{server}-{op}.dso.txt"))
            rate = wrk_rate(os.path.join(directory, f"{server}-{op}.wrk"))
            md.append(f"- {name}: {samples:,} samples of {profiles[server][0] or '?'}"
                      + (f", {rate:,.0f} req/s under perf" if rate else "") + "; by binary: "
                      + ", ".join(f"{d} {p:.1f}%" for d, p in
                                  sorted(dsos.items(), key=lambda kv: -kv[1]) if p >= 0.5))
        md.append("")
    return md


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name in ("run-tsv", "writes-tsv", "engine-json", "footprint", "profiles", "out",
                 "command"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--profile-top", type=int, default=12)
    parser.add_argument("--note", action="append", default=[])
    args = parser.parse_args()

    runs = Runs(args.run_tsv)
    verdicts = {"reads": [], "latency": [], "writes": [], "footprint": []}
    reads = reads_section(runs, verdicts["reads"])
    latency = latency_section(runs, verdicts["latency"])
    writes, write_problems = writes_section(args.writes_tsv, args.engine_json, verdicts["writes"])
    footprint = footprint_section(args.footprint, verdicts["footprint"])
    profiles = profile_sections(args.profiles, args.profile_top)
    problems = runs.problems + write_problems
    judged = [v for vs in verdicts.values() for v in vs if v is not None]

    md = ["## Issue 21: persistent vs in-memory, ceiling, start-up, footprint", "",
          "Generated by `bench/issue21.sh`; do not edit by hand.", ""]
    warning = results_md.load_warning()
    if warning:
        md += [warning, ""]
    md += [f"**Targets met: {sum(judged)} of {len(judged)}.** Every ratio below is of figures "
           "of the same run: the servers of one workload ran back to back (bench/run.sh and "
           "bench/writes.sh interleave them). A ratio is by rate (what wrk measured), with the "
           "same ratio by the server's CPU time per request in brackets (the rate ratio each "
           "server would reach on a core of its own; other load on the machine skews it much "
           "less). The met mark is for the rate.", "",
           "### Command", "", "```", args.command, "```", ""]
    raw = (args.run_tsv, args.writes_tsv, args.engine_json, args.footprint)
    md += [f"- {k}: {v}" for k, v in machine_info(*raw) if k not in ("nginx", "node (dynalite)")]
    md += [f"- {n}" for n in args.note] + [""]
    md += [f"### 1. PutItem, GetItem, Query at {TARGET_CONNS} connections: persistent against "
           "in memory, in memory against the bare HTTP ceiling", "",
           "`ddb serve --in-memory`, `ddb serve --data-dir` (a new dir) and `bench/http_ceiling "
           "--stack bare` (cruddur's HTTP stack answering the captured bytes, nothing else), "
           "as many workers each (see CPU pinning above):", ""]
    md += reads + [""]
    md += ["### 2. p99 at 1 connection", "",
           "Each request's own time, taken by the client (`bench/wrk/common.lua`, from the "
           "request's sending to its response); wrk's histogram puts more in the tail than the "
           "requests have at 1 connection (`bench/latency_findings.md`).", ""] + latency + [""]
    md += [f"### 3. BatchWriteItem and TransactWriteItems at {TARGET_CONNS} connections, items "
           "per second", "",
           "The in-process limit is `Engine::Execute` on one thread with the same request "
           "(`bench/engine_bench.cc`, on the same backend): one worker cannot write faster. "
           "A persistent server's limit adds the CPU per item its RocksDB flush and compaction "
           "threads took in the same run (by rate, until the run ended), which the short "
           "in-process runs never pay. "
           "The whole table, with 1 connection and the in-process figures, is `bench/writes.sh`'s "
           "section.", ""]
    md += writes + [""]
    md += ["### 4. Start-up to the first answer and idle RSS", "",
           "From exec to the first answered ListTables, and VmRSS after idling (MB of 1024 kB); "
           "medians of the runs after the first (bench/startup.py):", ""]
    md += footprint + [""]
    if profiles:
        md += ["### 5. Where the server's CPU goes", "",
               "Self time of each function (`perf report --no-children`, entries above the "
               "`--percent-limit`, folded: template arguments, parameters and clones dropped, "
               "so one row adds up a function's instances) as a share of the server's samples "
               "during the profiled wrk run, top rows by the larger of the two modes (— : "
               "under the limit in that mode):", ""]
        md += profiles
        if "cpu-clock" in "\n".join(profiles):
            md += ["The samples are of the software `cpu-clock` event (this machine gives perf no "
                   "hardware counters): a timer interrupt that comes while the kernel has "
                   "interrupts off is taken when they are turned back on, so kernel time spent "
                   "with interrupts off shows as `_raw_spin_unlock_irqrestore`.", ""]
    if problems:
        md += ["### Errors seen (a run with errors is not a valid measurement)", ""]
        md += [f"- {p}" for p in problems] + [""]
    results_md.splice(args.out, "issue21", "\n".join(md), before="writes")
    print("\n".join(md))
    print(f"written to {args.out} (section issue21)")


if __name__ == "__main__":
    main()
