#!/usr/bin/python3
"""PNG charts of the benchmark results (needs python3-matplotlib from Debian).

usage: chart.py [--wrk RESULTS_TSV OUT_PNG] [--growth GROWTH_TSV OUT_PNG]

--wrk: ops/s per operation at 32 connections for cruddur, the HTTP ceilings and dynalite (the
       median over rounds), from the raw runs bench/run.sh keeps in bench/.work/results.tsv.
--growth: bench/growth.sh's steps (bench/.work/growth.tsv): in-process Query latency, PutItem
       rate, server memory and start-up time against the table's size.
"""
import statistics
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the non-interactive backend)

WRK_OPS = [("put_item", "PutItem"), ("get_item", "GetItem"), ("query", "Query"),
           ("batch_write_item", "BatchWriteItem\n(25 items)"),
           ("transact_write_items", "TransactWriteItems\n(10 items)")]
WRK_SERVERS = [("cruddur", "#1f77b4"), ("cruddur-persistent", "#aec7e8"), ("bare", "#2ca02c"),
               ("cruddur-http", "#98df8a"), ("nginx", "#7f7f7f"), ("dynalite", "#ff7f0e")]


def wrk_chart(tsv, out, conns=32):
    rates = defaultdict(list)
    with open(tsv) as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            if len(c) < 6 or int(c[2]) != conns:
                continue
            rates[(c[0], c[1])].append(int(c[4]) / (int(c[5]) / 1e6))
    ops = [(op, label) for op, label in WRK_OPS if any((s, op) in rates for s, _ in WRK_SERVERS)]
    servers = [(s, col) for s, col in WRK_SERVERS if any((s, op) in rates for op, _ in ops)]
    if not ops:
        sys.exit(f"chart.py: no runs at {conns} connections in {tsv}")
    fig, ax = plt.subplots(figsize=(9, 4.8))
    width = 0.8 / len(servers)
    for i, (server, color) in enumerate(servers):
        xs, ys = [], []
        for j, (op, _) in enumerate(ops):
            if (server, op) in rates:
                xs.append(j + (i - (len(servers) - 1) / 2) * width)
                ys.append(statistics.median(rates[(server, op)]))
        bars = ax.bar(xs, ys, width, label=server, color=color)
        ax.bar_label(bars, labels=[f"{y / 1000:.1f}k" for y in ys], fontsize=8, padding=2)
    ax.set_xticks(range(len(ops)), [label for _, label in ops])
    ax.set_ylabel("requests per second (median over rounds)")
    ax.set_title(f"DynamoDB-shaped requests over HTTP, wrk, {conns} connections, same machine")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"chart.py: wrote {out}")


def growth_chart(tsv, out):
    rows = []
    with open(tsv) as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            if len(c) >= 20:
                rows.append([float(x) for x in c[:21]] + [float("nan")] * (21 - len(c[:21])))
    if not rows:
        sys.exit(f"chart.py: no rows in {tsv}")
    items = [r[0] for r in rows]
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))

    ax = axes[0][0]
    ax.plot(items, [r[17] for r in rows], "o-", label="CPU time p50")
    ax.plot(items, [r[3] for r in rows], "s--", label="wall time p50")
    ax.plot(items, [r[5] for r in rows], "^:", label="wall time mean")
    ax.set_title("Query (20 items, random partition), in-process")
    ax.set_ylabel("µs")
    ax.legend()

    ax = axes[0][1]
    ax.plot(items, [r[6] for r in rows], "o-", label="PutItem, in-process, 1 thread")
    ax.plot(items, [r[13] for r in rows], "s--", label="Query over HTTP (wrk, 32 conns)")
    ax.set_title("throughput")
    ax.set_ylabel("ops/s")
    ax.legend()

    ax = axes[1][0]
    ax.plot(items, [r[11] / 1024 for r in rows], "o-", label="idle")
    ax.plot(items, [r[12] / 1024 for r in rows], "s--", label="under wrk Query load (peak)")
    ax.set_title("cruddur ddb serve RSS")
    ax.set_ylabel("MiB")
    ax.legend()

    ax = axes[1][1]
    ax.plot(items, [r[10] for r in rows], "o-", label="start to first answer (median)")
    if any(r[20] == r[20] for r in rows):  # NaN != NaN: older TSVs have no first-start column
        ax.plot(items, [r[20] for r in rows], "s--", label="first start after the load")
    ax.axhline(50, color="red", linestyle=":", label="50 ms target")
    ax.set_title("cruddur ddb serve --data-dir start-up")
    ax.set_ylabel("ms")
    ax.legend()

    for row in axes:
        for ax in row:
            ax.set_xscale("log")
            ax.set_xlabel("items in the table")
            ax.grid(alpha=0.3)
            ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.1)
    # The first start after a load (WAL replay) can be 10x the steady start: log scale then.
    firsts = [r[20] for r in rows if r[20] == r[20]]
    if firsts and max(firsts) > 3 * max(max(r[10] for r in rows), 50):
        axes[1][1].set_yscale("log")
        axes[1][1].set_ylim(min(min(r[10] for r in rows), 50) / 2, max(firsts) * 2)
        axes[1][1].set_ylabel("ms (log scale)")
    fig.suptitle("cruddur engine as the table grows (RocksDB data dir)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"chart.py: wrote {out}")


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    while args:
        if args[0] == "--wrk" and len(args) >= 3:
            wrk_chart(args[1], args[2])
        elif args[0] == "--growth" and len(args) >= 3:
            growth_chart(args[1], args[2])
        else:
            sys.exit(__doc__)
        args = args[3:]


if __name__ == "__main__":
    main()
