#!/usr/bin/python3
"""Turns bench/run.sh's raw results into the comparison table (stdout) and bench/RESULTS.md.

usage: report.py RESULTS_TSV OUT_MD COMMAND [NOTE...]
RESULTS_TSV lines: server op conns round requests duration_us p50_us p99_us status_errors
socket_errors server_cpu_us (tab-separated). With several rounds, each cell is the median over the rounds, and
each ratio is the median of the per-round ratios (the servers of one round ran back to back, so
a round's ratio is the least disturbed by the machine's other load).
"""
import os
import platform
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results_md  # noqa: E402

# cruddur-b: run.sh's COMPARE_BIN; cruddur-persistent: `ddb serve --data-dir`; bare and
# cruddur-http: bench/http_ceiling's two stacks.
SERVERS = ["cruddur", "cruddur-b", "cruddur-persistent", "bare", "cruddur-http", "nginx",
           "dynalite"]
OPS = [("put_item", "PutItem"), ("get_item", "GetItem"), ("query", "Query"),
       ("batch_write_item", "BatchWriteItem (25 items)"),
       ("transact_write_items", "TransactWriteItems (10 items)")]
RATIOS = [("cruddur", "bare"), ("cruddur", "nginx"), ("cruddur", "dynalite"),
          ("cruddur-http", "bare"), ("bare", "nginx"), ("cruddur-b", "bare"),
          ("cruddur-b", "cruddur"), ("cruddur-persistent", "cruddur")]
# Also as a ratio of CPU per request (b's CPU µs/op over a's): what the rate ratio is when each
# server has a core to itself, and what still holds when other work shares the machine.
CPU_RATIOS = [("cruddur", "bare"), ("cruddur-http", "bare"), ("cruddur-persistent", "cruddur")]
TARGET_OPS = {"put_item", "get_item", "query"}
# Issue 21 (at the ceiling): at 32 connections cruddur >= these fractions of the bare server (the
# honest ceiling), and a p99 under 1 ms at 1 connection.
CEILING_TARGETS = {"put_item": 0.85, "get_item": 0.95, "query": 0.85}
P99_ONE_CONN_TARGET_MS = 1.0
# Issue 21: at 32 connections `ddb serve --data-dir` at least this fraction of --in-memory's rate.
PERSISTENT_TARGET = 0.8
# Issue 6, at 32 connections: cruddur >= 0.6 x nginx and >= 5 x dynalite, and a p99 under 2 ms.
TARGET = 0.6
DYNALITE_TARGET = 5.0
P99_TARGET_MS = 2.0


def machine_info(*raw_paths):
    """The machine's facts, dated by when `raw_paths` (the run's raw results) were written."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def version(cmd):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            return (out.stdout + out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "n/a"

    lscpu = {}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            k, _, v = line.partition(":")
            lscpu[k.strip()] = v.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    if lscpu.get("Model name"):
        cpu = lscpu["Model name"]
    cores = (f"{lscpu.get('CPU(s)', os.cpu_count())} CPU(s): {lscpu.get('Socket(s)', '?')} "
             f"socket(s) × {lscpu.get('Core(s) per socket', '?')} core(s) × "
             f"{lscpu.get('Thread(s) per core', '?')} thread(s)")
    return [
        ("date", results_md.measured_at(*raw_paths)),
        ("nproc", str(os.cpu_count())),
        ("CPU", cpu),
        ("cores (lscpu)", cores),
        ("kernel", platform.platform()),
        ("load average before the run", os.environ.get("BENCH_LOADAVG", "n/a")),
        ("load average after the run", " ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("CPU pinning", os.environ.get("BENCH_PIN", "n/a")),
        ("wrk", version(["wrk", "-v"]).split(" Copyright")[0]),
        ("nginx", version(["nginx", "-v"])),
        ("node (dynalite)", version(["node", "--version"])),
    ]


def order(key):
    server, op, conns, rnd = key
    ops = [o for o, _ in OPS]
    return (ops.index(op) if op in ops else 99, conns, rnd,
            SERVERS.index(server) if server in SERVERS else 99)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    tsv, out_md, command, notes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    raw = {}  # (server, op, conns, round) -> (ops/s, p50 us, p99 us)
    problems = []
    with open(tsv) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) not in (11, 13):  # 13: with the background CPU (bench/lib.sh run_wrk)
                continue
            server, op, conns, rnd = parts[0], parts[1], int(parts[2]), int(parts[3])
            requests, duration_us, p50, p99, status_err, sock_err, cpu_us = map(int, parts[4:11])
            if status_err or sock_err:
                problems.append(f"{server} {op} c={conns} round {rnd}: {status_err} non-2xx "
                                f"responses, {sock_err} socket errors")
            rate = requests / (duration_us / 1e6) if duration_us else 0.0
            cpu_per_op = cpu_us / requests if requests else 0.0
            raw[(server, op, conns, rnd)] = (rate, p50, p99, cpu_per_op)

    present = [s for s in SERVERS if any(k[0] == s for k in raw)]
    conns_levels = sorted({k[2] for k in raw})
    ratio_columns = [(a, b) for a, b in RATIOS if a in present and b in present]
    cpu_ratio_columns = [(a, b) for a, b in CPU_RATIOS if a in present and b in present]

    def cell(server, op, conns):
        samples = [v for k, v in raw.items() if k[:3] == (server, op, conns)]
        if not samples:
            return None
        return tuple(statistics.median(s[i] for s in samples) for i in range(4))

    def ratio(a, b, op, conns):
        values = [v[0] / raw[(b, op, conns, k[3])][0] for k, v in raw.items()
                  if k[:3] == (a, op, conns) and raw.get((b, op, conns, k[3]), (0,))[0]]
        return statistics.median(values) if values else None

    def cpu_ratio(a, b, op, conns):
        values = [raw[(b, op, conns, k[3])][3] / v[3] for k, v in raw.items()
                  if k[:3] == (a, op, conns) and v[3] and (b, op, conns, k[3]) in raw]
        return statistics.median(values) if values else None

    def verdict(a, b, op, conns, r, label):
        if (a, b, conns) == ("cruddur-persistent", "cruddur", 32) and op in TARGET_OPS and r:
            by_cpu = cpu_ratio(a, b, op, conns)
            ceiling_verdicts.append(
                f"{label} at 32 connections: cruddur-persistent/cruddur = {r:.2f} "
                f"({'meets' if r >= PERSISTENT_TARGET else 'BELOW'} the {PERSISTENT_TARGET} "
                "target); by CPU per request "
                + ("—" if by_cpu is None else
                   f"{by_cpu:.2f} ({'meets' if by_cpu >= PERSISTENT_TARGET else 'BELOW'} it)"))
        if a != "cruddur" or op not in TARGET_OPS or r is None:
            return
        if b == "bare" and conns == 32:
            t = CEILING_TARGETS[op]
            by_cpu = cpu_ratio(a, b, op, conns)
            ceiling_verdicts.append(
                f"{label} at 32 connections: cruddur/bare = {r:.2f} "
                f"({'meets' if r >= t else 'BELOW'} the {t} target); by CPU per request "
                + ("—" if by_cpu is None else
                   f"{by_cpu:.2f} ({'meets' if by_cpu >= t else 'BELOW'} it)"))
        elif b == "nginx" and conns == 32:
            verdicts.append(f"{label} at 32 connections: cruddur/nginx = {r:.2f} "
                            f"({'meets' if r >= TARGET else 'BELOW'} the {TARGET} target)")
        elif b == "dynalite" and conns == 32:
            verdicts.append(f"{label} at 32 connections: cruddur/dynalite = {r:.2f} "
                            f"({'meets' if r >= DYNALITE_TARGET else 'BELOW'} the "
                            f"{DYNALITE_TARGET:.0f}x target)")

    # Two tables: throughput with the ratios, then latency and CPU per server.
    rate_header = ["operation", "conns"] + [f"{s} ops/s" for s in present]
    rate_header += [f"{a}/{b}" for a, b in ratio_columns]
    rate_header += [f"{a}/{b} by CPU" for a, b in cpu_ratio_columns]
    cost_header = ["operation", "conns"]
    for s in present:
        cost_header += [f"{s} p50 ms", f"{s} p99 ms", f"{s} CPU µs/op"]
    rate_rows, cost_rows, verdicts, ceiling_verdicts = [], [], [], []
    for op, label in OPS:
        for conns in conns_levels:
            if not any(k[1:3] == (op, conns) for k in raw):
                continue
            rate_row, cost_row = [label, str(conns)], [label, str(conns)]
            for s in present:
                c = cell(s, op, conns)
                rate_row.append("—" if c is None else f"{c[0]:,.0f}")
                cost_row += ["—"] * 3 if c is None else [f"{c[1] / 1000:.2f}",
                                                         f"{c[2] / 1000:.2f}", f"{c[3]:.1f}"]
            for a, b in ratio_columns:
                r = ratio(a, b, op, conns)
                rate_row.append("—" if r is None else f"{r:.2f}")
                verdict(a, b, op, conns, r, label)
            for a, b in cpu_ratio_columns:
                r = cpu_ratio(a, b, op, conns)
                rate_row.append("—" if r is None else f"{r:.2f}")
            c = cell("cruddur", op, conns)
            if op in TARGET_OPS and c is not None and conns == 32:
                verdicts.append(f"{label} at 32 connections: cruddur p99 {c[2] / 1000:.2f} ms "
                                f"({'meets' if c[2] / 1000 < P99_TARGET_MS else 'ABOVE'} the "
                                f"{P99_TARGET_MS:.0f} ms target)")
            if op in TARGET_OPS and c is not None and conns == 1:
                ceiling_verdicts.append(
                    f"{label} at 1 connection: cruddur p99 {c[2] / 1000:.2f} ms "
                    f"({'meets' if c[2] / 1000 < P99_ONE_CONN_TARGET_MS else 'ABOVE'} the "
                    f"{P99_ONE_CONN_TARGET_MS:.0f} ms target)")
            persistent = cell("cruddur-persistent", op, conns)
            if op in TARGET_OPS and persistent is not None and conns == 1:
                ceiling_verdicts.append(
                    f"{label} at 1 connection: cruddur-persistent p99 {persistent[2] / 1000:.2f} "
                    f"ms ({'meets' if persistent[2] / 1000 < P99_ONE_CONN_TARGET_MS else 'ABOVE'} "
                    f"the {P99_ONE_CONN_TARGET_MS:.0f} ms target)")
            rate_rows.append(rate_row)
            cost_rows.append(cost_row)
    if not rate_rows:
        sys.exit("report.py: no results")

    def markdown(header, rows):
        widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]

        def line(cells):
            return "| " + " | ".join(c.rjust(w) for c, w in zip(cells, widths)) + " |"

        return ([line(header), "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|"]
                + [line(r) for r in rows])

    table = markdown(rate_header, rate_rows)
    cost_table = markdown(cost_header, cost_rows)

    print("\n".join(table))
    print("\n".join(cost_table))
    for v in ceiling_verdicts + verdicts:
        print(v)
    for p in problems:
        print("WARNING:", p)

    rounds = max(k[3] for k in raw)
    md = ["# cruddur ddb serve vs the HTTP ceilings (and dynalite): HTTP benchmark", "",
          "Generated by `bench/run.sh`; do not edit by hand. The other scripts of bench/ write "
          "their own sections at the end of this file (see the rerun commands below).", "",
          "Each row: the same wrk workload (same method, headers and request body) against "
          "`cruddur ddb serve --in-memory` and against servers that do no work but answer with "
          "exactly the bytes cruddur answered to that request (seed.py captures them):", "",
          "- **bare**, the honest ceiling (`bench/http_ceiling.cc`): cruddur's HTTP stack "
          "(Boost.Beast's parser over Asio) and threading model (the same number of workers, "
          "each with its own io_context; one acceptor handing connections out round-robin; "
          "TCP_NODELAY; HTTP/1.1 keep-alive), which reads each request whole, drops it, and "
          "writes the captured status line, header fields and body. No timers, no JSON, no "
          "engine. Ratios to it say how close cruddur is to what its own stack can do.",
          "- **cruddur-http**: `http_ceiling --stack cruddur`, cruddur's own `http::Server` "
          "with a handler that returns the captured answer: the HTTP layer without the engine "
          "(cruddur-http/bare is the cost of that layer's features: timeouts, limits, header "
          "parsing into a Request).",
          "- **nginx**, as many workers as cruddur, answering each POST itself with `return 200 "
          "'<cruddur's body>'` (`bench/nginx_conf.py`; nginx writes its own header fields).",
          "- **dynalite** (in memory), a local DynamoDB in node.js.",
          "- **cruddur-persistent**: `cruddur ddb serve --data-dir` on a new dir (RocksDB, its "
          "WAL, no fsync), run beside `--in-memory`: cruddur-persistent/cruddur is persistent / "
          "in memory.", "",
          "Runs are interleaved: for each "
          "workload the servers run back to back, so that the ratios compare like with like "
          "even when the machine is noisy. ops/s = requests completed / wall time; latencies "
          "are wrk's percentiles; CPU µs/op = the server's CPU time (user + system, all its "
          "threads and worker processes) during the run / requests, which depends much less "
          "on the machine's other load than ops/s does (10 ms tick resolution). "
          f"{rounds} round(s) per cell: each cell is the median over the "
          "rounds, each ratio the median of the per-round ratios.", "",
          "## Command", "", "```", command, "```", ""]
    warning = results_md.load_warning()
    if warning:
        md[2:2] = [warning, ""]
    md += ["## How to rerun each table", "",
           "Each section of this file shows the exact command of the run it publishes, with its "
           "date and the machine's load: the sections can come from different runs, and "
           "`bench/all.sh` runs them all at once. With the defaults (on an idle machine, plus "
           "the Release build in build-bench/ the first time):", "",
           "| table | command | duration |", "|---|---|--:|",
           "| HTTP: cruddur vs the ceilings and dynalite (this one) | `bench/run.sh` | ~10 min |",
           "| Writes: BatchWriteItem and TransactWriteItems in items/s | `bench/writes.sh` "
           "| ~3 min |",
           "| Issue 21: persistent vs in memory, the ceiling, start-up, footprint, profiles "
           "| `bench/issue21.sh` | ~9 min |",
           "| In-process: the engine vs raw RocksDB | `bench/engine.sh` | ~2 min |",
           "| Messaging API | `bench/api.sh` | ~1 min |",
           "| Growth from 10 thousand to 10 million items | `bench/growth.sh` | ~4 min |",
           "| all of them, in this order | `bench/all.sh` (`DRY_RUN=1` prints the plan) "
           "| ~20 min |", ""]
    if os.environ.get("BENCH_ALL_COMMAND"):
        md += ["The whole file (this table and every section below) was produced by one command:",
               "", "```", os.environ["BENCH_ALL_COMMAND"], "```", ""]
    md += ["## Machine", ""]
    md += [f"- {k}: {v}" for k, v in machine_info(tsv)]
    md += ["", "## Results", "",
           "Requests per second, and the ratios (\"by CPU\": the ceiling's CPU µs per request "
           "over cruddur's, which is what the rate ratio comes to when each server has its "
           "core to itself, and which other load on the machine skews much less):", ""]
    md += table + [""]
    md += ["Latency and server CPU per request. At 1 connection p50 and p99 are each "
           "request's own time, taken by the client (`bench/wrk/common.lua`); wrk's histogram "
           "puts more in the tail than the requests have there (`bench/latency_findings.md`). "
           "With more connections they are wrk's.", ""] + cost_table + [""]
    md += ["Chart (ops/s at 32 connections, drawn by `bench/chart.py`): [results.png](results.png)",
           "", "![ops/s per operation at 32 connections](results.png)", ""]
    if ceiling_verdicts:
        md += ["Targets (issue 21, at the ceiling): at 32 connections cruddur at least "
               + ", ".join(f"{t} ({dict(OPS)[op]})" for op, t in CEILING_TARGETS.items())
               + f" of the bare server's rate, cruddur-persistent at least {PERSISTENT_TARGET} "
               f"of cruddur's; p99 under {P99_ONE_CONN_TARGET_MS:.0f} ms at 1 connection:", ""]
        md += [f"- {v}" for v in ceiling_verdicts] + [""]
    if verdicts:
        md += [f"Targets (issue 6, at 32 connections): cruddur at least {TARGET} of nginx's "
               f"rate, at least {DYNALITE_TARGET:.0f} times dynalite's, p99 under "
               f"{P99_TARGET_MS:.0f} ms:", ""]
        md += [f"- {v}" for v in verdicts] + [""]
    if problems:
        md += ["Errors seen (a run with errors is not a valid measurement):", ""]
        md += [f"- {p}" for p in problems] + [""]
    if notes:
        md += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    md += ["## Every run", "",
           "| operation | conns | round | server | ops/s | p50 ms | p99 ms | CPU µs/op |",
           "|---|--:|--:|---|--:|--:|--:|--:|"]
    labels = dict(OPS)
    for key in sorted(raw, key=order):
        server, op, conns, rnd = key
        rate, p50, p99, cpu = raw[key]
        md.append(f"| {labels.get(op, op)} | {conns} | {rnd} | {server} | {rate:,.0f} | "
                  f"{p50 / 1000:.2f} | {p99 / 1000:.2f} | {cpu:.1f} |")
    md.append("")
    # Keep the sections other scripts own (bench/writes.sh, engine.sh, api.sh, growth.sh).
    try:
        with open(out_md) as f:
            kept = [b for _, b in results_md.sections(f.read())]
    except FileNotFoundError:
        kept = []
    with open(out_md, "w") as f:
        f.write("\n".join(md) + "".join("\n" + b for b in kept))
    print(f"written to {out_md}")


if __name__ == "__main__":
    main()
