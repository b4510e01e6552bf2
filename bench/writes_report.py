#!/usr/bin/python3
"""Writes the "writes" section of bench/RESULTS.md from bench/writes.sh's wrk runs and its
in-process engine_bench JSON.

usage: writes_report.py WRK_TSV ENGINE_JSON OUT_MD COMMAND [NOTE...]
WRK_TSV lines are bench/lib.sh's run_wrk lines (server = in-memory, persistent or
persistent-fsync). Each cell is the median over the rounds; persistent / in-memory is the median
of the per-round ratios (the servers of one round ran back to back).
"""
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results_md  # noqa: E402
from engine_report import load  # noqa: E402

# (wrk workload, label, items per request, in-process engine benchmark)
OPS = [("batch_write_item", "BatchWriteItem (25 items)", 25, "BM_Batch_Engine"),
       ("transact_write_items", "TransactWriteItems (10 items)", 10, "BM_Txn_Engine")]
SERVERS = [("in-memory", "in memory", "1"), ("persistent", "persistent", "0"),
           ("persistent-fsync", "persistent, --fsync", None)]
# Over HTTP at 32 connections, one worker thread reaches at least this share of the engine's own
# in-process rate on one thread. Even the bare HTTP server of bench/run.sh spends ~18 µs of CPU
# on a 25-item request (a 6 KB body): ~0.7 µs per item beside the engine's ~3, so ~0.8 is the
# most today's engine allows.
LIMIT_TARGET = 0.75
# Persistent at least this share of in memory (issue 21's target for PutItem and Query).
PERSISTENT_TARGET = 0.8
TARGET_CONNS = 32


def read_tsv(path):
    # (server, op, conns, round) -> (items/s, p50 us, p99 us, CPU us per item, of which RocksDB's
    # flush and compaction threads' CPU us per item, and theirs until the run ended)
    raw = {}
    items = {op: n for op, _, n, _ in OPS}
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) not in (11, 13) or p[1] not in items:  # 13: with the background CPU
                continue
            requests, duration_us, p50, p99, status_err, sock_err, cpu_us = map(int, p[4:11])
            bg_us, bg_run_us = map(int, p[11:]) if len(p) == 13 else (0, 0)
            if status_err or sock_err or not requests:
                raise SystemExit(f"writes_report.py: {p[0]} {p[1]} c={p[2]}: {status_err} "
                                 f"non-2xx answers, {sock_err} socket errors; not a measurement")
            n = items[p[1]]
            raw[(p[0], p[1], int(p[2]), int(p[3]))] = (
                requests * n / (duration_us / 1e6), p50, p99, cpu_us / (requests * n),
                bg_us / (requests * n), bg_run_us / (requests * n))
    return raw


def limit_shares(samples, limit_ns):
    """A server's share of the in-process limit (limit_ns of the engine thread's CPU per item),
    from its rounds' read_tsv tuples, each the median over the rounds: (by rate, by CPU, the same
    two against the engine thread alone). The limit carries the flush and compaction CPU per item
    that the server's writes cost it: by rate, what those threads took while the run lasted (the
    core's time the writer lost); by CPU, all of it (as the server's CPU counts what they did
    after the run)."""
    def median(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None
    return (median(s[0] * (limit_ns + s[5] * 1000) / 1e9 for s in samples),
            median((limit_ns + s[4] * 1000) / 1000 / s[3] if s[3] else None for s in samples),
            median(s[0] * limit_ns / 1e9 for s in samples),
            median(limit_ns / 1000 / s[3] if s[3] else None for s in samples))


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    tsv, engine_json, out_md, command, notes = *sys.argv[1:5], sys.argv[5:]
    raw = read_tsv(tsv)
    _, medians, cvs = load(engine_json)

    items_per_run = {"BM_Batch_Engine": 25, "BM_Txn_Engine": 10, "BM_Batch_Storage": 25,
                     "BM_Batch_Raw": 25, "BM_Engine_PutItem": 1}

    def ns(name):  # CPU ns per item of an in-process benchmark ("BM_Batch_Engine/1")
        v = medians.get(name)
        return None if v is None else v[0] / items_per_run[name.split("/")[0]]

    present = [s for s in SERVERS if any(k[0] == s[0] for k in raw)]
    conns_levels = sorted({k[2] for k in raw})

    def cell(server, op, conns):
        samples = [v for k, v in raw.items() if k[:3] == (server, op, conns)]
        return (tuple(statistics.median(s[i] for s in samples) for i in range(6))
                if samples else None)

    def ratio(a, b, op, conns):
        values = [v[0] / raw[(b, op, conns, k[3])][0] for k, v in raw.items()
                  if k[:3] == (a, op, conns) and (b, op, conns, k[3]) in raw]
        return statistics.median(values) if values else None

    def rate(ns_per_item):
        return None if not ns_per_item else 1e9 / ns_per_item

    def num(v, fmt="{:,.0f}"):
        return "—" if v is None else fmt.format(v)

    # Over HTTP.
    header = "| workload | conns |"
    for _, label, _ in present:
        header += f" {label} items/s | p50 / p99 ms | CPU µs/item |"
    header += " persistent / in memory, by rate / by CPU |"
    limited = [s for s in present if s[2] is not None]
    for _, label, _ in limited:
        header += f" {label}: share of the limit, by rate / by CPU |"
    http = [header, "|---|--:|" + "--:|" * (header.count("|") - 3)]
    verdicts = []
    for op, label, n, bench in OPS:
        for conns in conns_levels:
            if not any(k[1:3] == (op, conns) for k in raw):
                continue
            row = f"| {label} | {conns} |"
            for server, _, _ in present:
                c = cell(server, op, conns)
                bg = f" ({c[4]:.2f} flush + compaction)" if c and c[4] else ""
                row += (" — | — | — |" if c is None else
                        f" {c[0]:,.0f} | {c[1] / 1000:.2f} / {c[2] / 1000:.2f} | {c[3]:.2f}{bg} |")
            r = ratio("persistent", "in-memory", op, conns)
            mem, disk = cell("in-memory", op, conns), cell("persistent", op, conns)
            r_cpu = mem[3] / disk[3] if mem and disk and disk[3] else None
            row += f" {num(r, '{:.2f}')} / {num(r_cpu, '{:.2f}')} |"
            limits = {}
            for server, _, arg in limited:
                c, limit_ns = cell(server, op, conns), ns(f"{bench}/{arg}")
                if c is None or limit_ns is None:
                    row += " — |"
                    continue
                # By rate: items/s over the engine's in-process items/s. By CPU: the engine's
                # in-process CPU per item over the server's, which a busy machine does not skew.
                # The limit includes the flush and compaction CPU per item that the server's
                # writes cost it in the same run: the in-process runs are too short to pay it.
                limits[server] = limit_shares(
                    [v for k, v in raw.items() if k[:3] == (server, op, conns)], limit_ns)
                by_rate, by_cpu, thread_rate, thread_cpu = limits[server]
                row += f" {by_rate:.2f} / {num(by_cpu, '{:.2f}')}"
                row += (f" (thread only {thread_rate:.2f} / {num(thread_cpu, '{:.2f}')}) |"
                        if c[4] else " |")
            http.append(row)
            if conns != TARGET_CONNS:
                continue
            for server, (by_rate, by_cpu, thread_rate, _) in limits.items():
                thread_only = (f"; {thread_rate:.2f} of the engine thread's CPU alone"
                               if thread_rate != by_rate else "")
                verdicts.append(
                    f"{label}, {server}, at {conns} connections: {by_rate:.2f} of the in-process "
                    f"limit by rate ({'meets' if by_rate >= LIMIT_TARGET else 'BELOW'} the "
                    f"{LIMIT_TARGET} target), {num(by_cpu, '{:.2f}')} by CPU per item"
                    f"{thread_only}")
            if r is not None:
                verdicts.append(
                    f"{label} at {conns} connections: persistent / in memory = {r:.2f} "
                    f"({'meets' if r >= PERSISTENT_TARGET else 'BELOW'} the "
                    f"{PERSISTENT_TARGET} target), {num(r_cpu, '{:.2f}')} by CPU per item")

    # In-process.
    inproc = ["| workload | Engine::Execute, in memory | Engine::Execute, RocksDB | "
              "Storage + codec, in memory | Storage + codec, RocksDB | raw RocksDB WriteBatch |",
              "|---|--:|--:|--:|--:|--:|"]
    rows = [("BatchWriteItem (25 items)", "BM_Batch_Engine", "BM_Batch_Storage", "BM_Batch_Raw"),
            ("TransactWriteItems (10 items)", "BM_Txn_Engine", None, None),
            ("PutItem (1 item, for comparison)", "BM_Engine_PutItem", None, None)]

    def both(name):  # "ns (items/s)"
        v = ns(name) if name else None
        return "—" if v is None else f"{v:,.0f} ns ({rate(v) / 1000:,.0f}k/s)"

    for label, engine, storage, raw_batch in rows:
        inproc.append(f"| {label} | {both(engine + '/1')} | {both(engine + '/0')} | "
                      f"{both(storage and storage + '/1')} | {both(storage and storage + '/0')} | "
                      f"{both(raw_batch)} |")
    noisy = sorted(name for name, cv in cvs.items() if cv > 0.10)

    md = ["## Writes: BatchWriteItem and TransactWriteItems in items per second (bench/writes.sh)",
          "", "Generated by `bench/writes.sh`; do not edit by hand.", ""]
    warning = results_md.load_warning()
    if warning:
        md += [warning, ""]
    md += [
          "Over HTTP: wrk against `cruddur ddb serve --in-memory` and `cruddur ddb serve "
          "--data-dir` (a new, empty data dir), interleaved run by run; every request writes "
          "new items (25 per BatchWriteItem, 10 per TransactWriteItems, one new partition per "
          "request). items/s = requests × items per request / wall time; CPU µs/item = the "
          "server's CPU time (all its threads, RocksDB's flush and compaction threads included, "
          "their part in brackets) / items written.", "",
          "In-process (`bench/engine_bench.cc`, one thread, on the servers' core): CPU ns per "
          "item of `Engine::Execute` with the same request bytes (the JSON parse, validation, "
          "key locks, the read of each old item, statistics and the answer included); of the "
          "Storage interface writing the same 25 encoded items in one WriteBatch; and of raw "
          "RocksDB writing them in one `rocksdb::WriteBatch` (engine's options, WAL on, no "
          "fsync; background threads not counted). With one worker thread (the default, "
          "pinned), the engine's in-process rate is the **limit**: no HTTP server can write "
          "faster than its one thread runs the engine, so the HTTP rate is shown as a share "
          "of it (by rate), and so is the server's CPU per item (by CPU: the in-process CPU "
          "per item over the server's, which is what the rate share would be on a core the "
          "server has to itself; it holds on a busy machine, where the rate does not). A "
          "persistent server's limit also carries the CPU per item that RocksDB's flush and "
          "compaction threads took for its writes in the same run, on the same core (by rate, "
          "what they took until the run ended; by CPU, all of it): the in-process runs (0.5 s "
          "each) never fill a memtable and never pay it, while every writer that runs longer "
          "does. The share against the engine thread's CPU alone is shown beside it (thread "
          "only). Shares of the limit are medians of the rounds' own shares.", "",
          "### Command", "", "```", command, "```", "",
          f"- date: {results_md.measured_at(tsv, engine_json)}",
          f"- load average before the run: {os.environ.get('BENCH_LOADAVG', 'n/a')}; after: "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()),
          f"- CPU pinning: {os.environ.get('BENCH_PIN', 'n/a')}"]
    md += [f"- {n}" for n in notes]
    md += ["", "### Over HTTP", ""] + http + [""]
    md += ["### In-process (CPU ns per item, one thread; items per second in brackets)", ""]
    md += inproc + [""]
    if noisy:
        md += ["Benchmarks whose repetitions varied by more than 10% (coefficient of variation "
               "of CPU time): " + ", ".join(noisy), ""]
    md += ["### Targets", "",
           f"At {TARGET_CONNS} connections, each HTTP rate at least {LIMIT_TARGET} of the "
           "engine's in-process rate on the same backend (the limit above), and persistent at "
           f"least {PERSISTENT_TARGET} of in memory:", ""]
    md += [f"- {v}" for v in verdicts] + [""]
    findings = os.path.join(os.path.dirname(os.path.abspath(__file__)), "writes_findings.md")
    if os.path.exists(findings):
        with open(findings) as f:
            md += [f.read().rstrip(), ""]
    results_md.splice(out_md, "writes", "\n".join(md), before="engine")
    print("\n".join(http + [""] + inproc))
    for v in verdicts:
        print(v)
    print(f"written to {out_md} (section writes)")


if __name__ == "__main__":
    main()
