#!/usr/bin/python3
"""Turns bench/run.sh's raw results into the comparison table (stdout) and bench/RESULTS.md.

usage: report.py RESULTS_TSV OUT_MD COMMAND [NOTE...]
RESULTS_TSV lines: server op conns round requests duration_us p50_us p99_us status_errors
socket_errors server_cpu_us (tab-separated). With several rounds, each cell is the median over the rounds, and
each ratio is the median of the per-round ratios (the servers of one round ran back to back, so
a round's ratio is the least disturbed by the machine's other load).
"""
import datetime
import os
import platform
import statistics
import subprocess
import sys

SERVERS = ["cruddur", "cruddur-b", "nginx", "dynalite"]  # cruddur-b: run.sh's COMPARE_BIN
OPS = [("put_item", "PutItem"), ("get_item", "GetItem"), ("query", "Query"),
       ("batch_write_item", "BatchWriteItem (25 items)")]
RATIOS = [("cruddur", "nginx"), ("cruddur", "dynalite"), ("cruddur-b", "nginx"),
          ("cruddur-b", "cruddur")]
# Issue 6's targets, at 32 connections: cruddur >= 0.6 x nginx and >= 5 x dynalite on these
# operations, and a p99 under 2 ms.
TARGET_OPS = {"put_item", "get_item", "query"}
TARGET = 0.6
DYNALITE_TARGET = 5.0
P99_TARGET_MS = 2.0


def machine_info():
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
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")),
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
            if len(parts) != 11:
                continue
            server, op, conns, rnd = parts[0], parts[1], int(parts[2]), int(parts[3])
            requests, duration_us, p50, p99, status_err, sock_err, cpu_us = map(int, parts[4:])
            if status_err or sock_err:
                problems.append(f"{server} {op} c={conns} round {rnd}: {status_err} non-2xx "
                                f"responses, {sock_err} socket errors")
            rate = requests / (duration_us / 1e6) if duration_us else 0.0
            cpu_per_op = cpu_us / requests if requests else 0.0
            raw[(server, op, conns, rnd)] = (rate, p50, p99, cpu_per_op)

    present = [s for s in SERVERS if any(k[0] == s for k in raw)]
    conns_levels = sorted({k[2] for k in raw})
    ratio_columns = [(a, b) for a, b in RATIOS if a in present and b in present]

    def cell(server, op, conns):
        samples = [v for k, v in raw.items() if k[:3] == (server, op, conns)]
        if not samples:
            return None
        return tuple(statistics.median(s[i] for s in samples) for i in range(4))

    def ratio(a, b, op, conns):
        values = [v[0] / raw[(b, op, conns, k[3])][0] for k, v in raw.items()
                  if k[:3] == (a, op, conns) and raw.get((b, op, conns, k[3]), (0,))[0]]
        return statistics.median(values) if values else None

    header = ["operation", "conns"]
    for s in present:
        header += [f"{s} ops/s", f"{s} p50 ms", f"{s} p99 ms", f"{s} CPU µs/op"]
    header += [f"{a}/{b}" for a, b in ratio_columns]
    rows, verdicts = [], []
    for op, label in OPS:
        for conns in conns_levels:
            if not any(k[1:3] == (op, conns) for k in raw):
                continue
            row = [label, str(conns)]
            for s in present:
                c = cell(s, op, conns)
                row += ["—"] * 4 if c is None else [f"{c[0]:,.0f}", f"{c[1] / 1000:.2f}",
                                                    f"{c[2] / 1000:.2f}", f"{c[3]:.1f}"]
            for a, b in ratio_columns:
                r = ratio(a, b, op, conns)
                row.append("—" if r is None else f"{r:.2f}")
                if a != "cruddur" or op not in TARGET_OPS or conns != 32 or r is None:
                    continue
                if b == "nginx":
                    verdicts.append(f"{label} at 32 connections: {a}/nginx = {r:.2f} "
                                    f"({'meets' if r >= TARGET else 'BELOW'} the {TARGET} target)")
                elif b == "dynalite":
                    verdicts.append(f"{label} at 32 connections: {a}/dynalite = {r:.2f} "
                                    f"({'meets' if r >= DYNALITE_TARGET else 'BELOW'} the "
                                    f"{DYNALITE_TARGET:.0f}x target)")
            c = cell("cruddur", op, conns)
            if op in TARGET_OPS and conns == 32 and c is not None:
                verdicts.append(f"{label} at 32 connections: cruddur p99 {c[2] / 1000:.2f} ms "
                                f"({'meets' if c[2] / 1000 < P99_TARGET_MS else 'ABOVE'} the "
                                f"{P99_TARGET_MS:.0f} ms target)")
            rows.append(row)
    if not rows:
        sys.exit("report.py: no results")

    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]

    def line(cells):
        return "| " + " | ".join(c.rjust(w) for c, w in zip(cells, widths)) + " |"

    table = [line(header), "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|"]
    table += [line(r) for r in rows]

    print("\n".join(table))
    for v in verdicts:
        print(v)
    for p in problems:
        print("WARNING:", p)

    rounds = max(k[3] for k in raw)
    md = ["# cruddur ddb serve vs nginx (and dynalite): HTTP benchmark", "",
          "Generated by `bench/run.sh`; do not edit by hand. The in-process engine benchmark "
          "(`bench/engine.sh`) and the growth benchmark (`bench/growth.sh`) write their own "
          "sections at the end of this file.", "",
          "Each row: the same wrk workload (same method, headers and request body) against "
          "`cruddur ddb serve --in-memory`, against nginx serving static files with exactly the "
          "bytes of cruddur's answer to that request (the upper bound for an HTTP server on this "
          "machine), and against dynalite (in memory). Runs are interleaved: for each "
          "workload the servers run back to back, so that the ratios compare like with like "
          "even when the machine is noisy. ops/s = requests completed / wall time; latencies "
          "are wrk's percentiles; CPU µs/op = the server's CPU time (user + system, all its "
          "threads and worker processes) during the run / requests, which depends much less "
          "on the machine's other load than ops/s does (10 ms tick resolution). "
          f"{rounds} round(s) per cell: each cell is the median over the "
          "rounds, each ratio the median of the per-round ratios.", "",
          "## Command", "", "```", command, "```", ""]
    if os.environ.get("BENCH_ALL_COMMAND"):
        md += ["The whole file (this table and every section below) was produced by one command:",
               "", "```", os.environ["BENCH_ALL_COMMAND"], "```", ""]
    md += ["## Machine", ""]
    md += [f"- {k}: {v}" for k, v in machine_info()]
    md += ["", "## Results", ""] + table + [""]
    md += ["Chart (ops/s at 32 connections, drawn by `bench/chart.py`): [results.png](results.png)",
           "", "![ops/s per operation at 32 connections](results.png)", ""]
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
    # Keep the sections other scripts own (bench/engine.sh, bench/growth.sh).
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import results_md
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
