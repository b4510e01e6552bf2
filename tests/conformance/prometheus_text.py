"""A strict parser of Prometheus's text exposition format, version 0.0.4
(https://prometheus.io/docs/instrumenting/exposition_formats/), for the tests that scrape
cruddur's GET /metrics (test_metrics.py here, tests/api/test_metrics_api.py).

parse(text) raises ValueError for anything the format does not allow, and for breaks of the
naming conventions cruddur follows (counters end in _total; histograms have cumulative buckets
with ascending `le` ending at +Inf, equal to _count, and a _sum)."""

import math
import re
import urllib.request

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
HELP_RE = re.compile(rf"^# HELP ({NAME}) (.*)$")
TYPE_RE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")
SAMPLE_RE = re.compile(rf"^({NAME})(\{{.*\}})? (\S+)( -?\d+)?$")
LABEL_RE = re.compile(rf'({LABEL_NAME})="((?:[^"\\\n]|\\[\\"n])*)"')
TYPES_WITH_SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


class Family:
    def __init__(self, name):
        self.name = name
        self.type = "untyped"
        self.help = None
        self.samples = {}  # (sample name, frozenset of (label, value)) -> float


def parse_value(text):
    if text in ("+Inf", "-Inf", "NaN"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise ValueError(f"bad sample value {text!r}")
    return float(text)


def parse_labels(text):
    if not text:
        return frozenset()
    inner = text[1:-1]
    labels, pos = {}, 0
    while pos < len(inner):
        m = LABEL_RE.match(inner, pos)
        if not m:
            raise ValueError(f"bad labels {text!r} at {pos}")
        name = m.group(1)
        if name in labels:
            raise ValueError(f"label {name} twice in {text!r}")
        labels[name] = re.sub(r"\\(.)", lambda e: {"n": "\n"}.get(e.group(1), e.group(1)),
                              m.group(2))
        pos = m.end()
        if pos < len(inner):
            if inner[pos] != ",":
                raise ValueError(f"expected ',' in {text!r} at {pos}")
            pos += 1
    return frozenset(labels.items())


def family_of(sample_name, families):
    """The family a sample belongs to: its own name, or its name less a type's suffix."""
    for suffix in ("_bucket", "_sum", "_count"):
        base = sample_name[: -len(suffix)]
        if sample_name.endswith(suffix) and base in families and \
                suffix in TYPES_WITH_SUFFIXES.get(families[base].type, ()):
            return base
    return sample_name


def parse(text):
    """{family name: Family}; raises ValueError when the text breaks the format."""
    if text and not text.endswith("\n"):
        raise ValueError("the text must end with a newline")
    families, finished, current = {}, set(), None
    for number, line in enumerate(text.split("\n")[:-1], 1):
        where = f"line {number}: {line!r}"
        if line.startswith("#"):
            m = HELP_RE.match(line) or TYPE_RE.match(line)
            if not m:
                if line.startswith("# HELP") or line.startswith("# TYPE"):
                    raise ValueError(f"malformed {where}")
                continue  # a comment
            name = m.group(1)
            family = families.setdefault(name, Family(name))
            if line.startswith("# HELP"):
                if family.help is not None:
                    raise ValueError(f"second HELP, {where}")
                family.help = m.group(2)
            else:
                if family.samples or family.type != "untyped" or name in finished:
                    raise ValueError(f"TYPE after samples or twice, {where}")
                family.type = m.group(2)
            continue
        m = SAMPLE_RE.match(line)
        if not m:
            raise ValueError(f"malformed {where}")
        sample, labels, value = m.group(1), parse_labels(m.group(2)), parse_value(m.group(3))
        name = family_of(sample, families)
        if current is not None and name != current:
            finished.add(current)
        if name in finished:
            raise ValueError(f"samples of {name} not together, {where}")
        current = name
        family = families.setdefault(name, Family(name))
        if (sample, labels) in family.samples:
            raise ValueError(f"duplicate sample, {where}")
        family.samples[(sample, labels)] = value
    for family in families.values():
        check_conventions(family)
    return families


def check_conventions(family):
    if family.type == "counter":
        if not family.name.endswith("_total"):
            raise ValueError(f"counter {family.name} does not end in _total")
        for (_, _), value in family.samples.items():
            if value < 0 or math.isnan(value):
                raise ValueError(f"counter {family.name} has value {value}")
    if family.type == "histogram":
        check_histogram(family)


def check_histogram(family):
    series = {}  # labels without le -> [(le, count)]
    sums, counts = {}, {}
    for (sample, labels), value in family.samples.items():
        if sample == family.name + "_bucket":
            le = dict(labels).get("le")
            if le is None:
                raise ValueError(f"bucket of {family.name} without le")
            rest = frozenset(kv for kv in labels if kv[0] != "le")
            series.setdefault(rest, []).append((parse_value(le), value))
        elif sample == family.name + "_sum":
            sums[labels] = value
        elif sample == family.name + "_count":
            counts[labels] = value
        else:
            raise ValueError(f"sample {sample} in histogram {family.name}")
    if set(series) != set(sums) or set(series) != set(counts):
        raise ValueError(f"histogram {family.name}: buckets, _sum and _count disagree on labels")
    for labels, buckets in series.items():
        bounds = [b for b, _ in buckets]
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds) or bounds[-1] != math.inf:
            raise ValueError(f"histogram {family.name}{set(labels)}: le not ascending to +Inf")
        values = [v for _, v in buckets]
        if values != sorted(values):
            raise ValueError(f"histogram {family.name}{set(labels)}: buckets not cumulative")
        if values[-1] != counts[labels]:
            raise ValueError(f"histogram {family.name}{set(labels)}: +Inf bucket != _count")


def value(families, sample, **labels):
    """The value of one sample, 0 when it is absent (a series not yet created counts nothing)."""
    name = family_of(sample, families)
    if name not in families:
        return 0
    return families[name].samples.get((sample, frozenset(labels.items())), 0)


def scrape(base_url):
    """GET base_url/metrics: checks the status and the 0.0.4 content type, returns parse()."""
    with urllib.request.urlopen(base_url + "/metrics", timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return parse(resp.read().decode())


def delta(before, after, sample, **labels):
    """How much one sample moved between two scrapes."""
    return value(after, sample, **labels) - value(before, sample, **labels)
