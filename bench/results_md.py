"""Sections of bench/RESULTS.md written by different scripts.

bench/report.py (bench/run.sh) writes the wrk part of the file; bench/engine_report.py and
bench/growth_report.py each own one section between `<!-- BEGIN name -->` and `<!-- END name -->`
lines. Each script replaces only its own section and keeps the others.
"""
import datetime
import os
import re

_SECTION = re.compile(r"<!-- BEGIN (\S+) -->\n.*?<!-- END \1 -->\n", re.S)


def measured_at(*paths):
    """When the raw results in `paths` were written (the newest modification time of those that
    exist, else now), as "YYYY-MM-DD HH:MM:SS UTC": a section rebuilt later from bench/.work
    keeps the date of its measurement."""
    times = [os.path.getmtime(p) for p in paths if p and os.path.exists(p)]
    when = (datetime.datetime.fromtimestamp(max(times), datetime.timezone.utc) if times
            else datetime.datetime.now(datetime.timezone.utc))
    return f"{when:%Y-%m-%d %H:%M:%S UTC}"


def sections(text):
    """The marked sections of `text`, in order, as (name, full block text)."""
    return [(m.group(1), m.group(0)) for m in _SECTION.finditer(text)]


def strip_sections(text):
    return _SECTION.sub("", text)


def block(name, body):
    return f"<!-- BEGIN {name} -->\n{body.rstrip()}\n<!-- END {name} -->\n"


def splice(path, name, body, before=None):
    """Replaces section `name` of the file at `path`. When absent, it goes in front of section
    `before` if that one is there, else at the end."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    new = block(name, body)
    pattern = re.compile(rf"<!-- BEGIN {re.escape(name)} -->\n.*?<!-- END {re.escape(name)} -->\n",
                         re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: new, text)
    elif before and f"<!-- BEGIN {before} -->\n" in text:
        at = text.index(f"<!-- BEGIN {before} -->\n")
        text = text[:at] + new + "\n" + text[at:]
    else:
        text = text.rstrip("\n") + "\n\n" + new
    with open(path, "w") as f:
        f.write(text)


def load_warning():
    """A line for the top of a section when the run began on a busy machine (the 1-minute load
    average before the run, BENCH_LOADAVG, over half the CPUs), else None."""
    try:
        load = float(os.environ.get("BENCH_LOADAVG", "").split()[0])
    except (IndexError, ValueError):
        return None
    cpus = os.cpu_count() or 1
    if load <= cpus / 2:
        return None
    return (f"**Measured on a loaded machine** (load average {load:.2f} on {cpus} CPUs before "
            "the run: other work shared the CPUs). Its rates and latencies are not "
            "representative; CPU per operation and CPU-based ratios are the least affected. "
            "Rerun with the command below on an idle machine.")
