#!/usr/bin/env python3
"""The skip report of scripts/test.sh: reads the JUnit/GoogleTest XML every test step wrote into
REPORTS_DIR, prints every skipped test, and fails unless each skip is on the allow-list.

    scripts/check-skips.py [--allow FILE] REPORTS_DIR STEP...

STEP names the reports REPORTS_DIR must hold (STEP.xml); a step left out on purpose
(CRUDDUR_SKIP_*) leaves STEP.skipped instead, whose text is printed. Exit status 1 when:
  - a test was skipped (a JUnit <skipped>, a GoogleTest "skipped"/"suppressed" result, CTest's
    "notrun"/"disabled") and no allow-list entry matches it;
  - an entry names steps where the test runs instead ("runs-in") and it did not run and pass in
    one of them;
  - an entry matches no skip of the reports present (the list stays short);
  - a step left no report, or a report holds no tests.

Allow-list (default tests/allowed-skips.txt), one entry a line, '#' comments:
    STEP[,STEP...]:TEST-ID-PATTERN | runs-in STEP[,STEP...] or - | reason
TEST-ID-PATTERN is an fnmatch pattern over the test id: "Suite.Name" for CTest and GoogleTest
(CTest's "  # GetParam() = ..." suffix dropped), "classname::name" for pytest.
Python 3 standard library only.
"""

import argparse
import fnmatch
import os
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Entry:
    def __init__(self, line_no, steps, pattern, runs_in, reason):
        self.line_no, self.steps, self.pattern = line_no, steps, pattern
        self.runs_in, self.reason = runs_in, reason
        self.matched = []

    def matches(self, step, test_id):
        return step in self.steps and fnmatch.fnmatchcase(test_id, self.pattern)

    def __str__(self):
        where = ", runs in " + ",".join(self.runs_in) if self.runs_in else ""
        return f"{','.join(self.steps)}:{self.pattern}{where}: {self.reason}"


def read_allow_list(path):
    entries, problems = [], []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 3 or ":" not in parts[0] or not parts[2]:
                problems.append(f"{path}:{n}: want 'STEPS:PATTERN | runs-in STEPS or - | reason'")
                continue
            steps, pattern = parts[0].split(":", 1)
            runs_in = []
            if parts[1] != "-":
                if not parts[1].startswith("runs-in "):
                    problems.append(f"{path}:{n}: the middle field is 'runs-in STEPS' or '-'")
                    continue
                runs_in = [s.strip() for s in parts[1][len("runs-in "):].split(",") if s.strip()]
            entries.append(Entry(n, [s.strip() for s in steps.split(",")], pattern.strip(),
                                 runs_in, parts[2]))
    return entries, problems


def test_id(case):
    name, classname = case.get("name", ""), case.get("classname", "")
    if case.get("result") is not None:
        return f"{classname}.{name}"  # GoogleTest's own XML
    if case.get("status") is not None:
        return name.split("  # ", 1)[0]  # CTest: the test's name, maybe "  # GetParam() = ..."
    return f"{classname}::{name}"  # pytest


def skip_reason(case):
    skipped = case.find("skipped")
    message = skipped.get("message", "") if skipped is not None else ""
    if message in ("", "SKIP_REGULAR_EXPRESSION_MATCHED"):
        # GoogleTest prints "file:line: Skipped" and then the GTEST_SKIP() message.
        out = (case.findtext("system-out") or "").splitlines()
        for i, text in enumerate(out):
            if text.endswith(": Skipped") and i + 1 < len(out) and out[i + 1].strip():
                return out[i + 1].strip()
        if case.get("status") == "disabled" or case.get("result") == "suppressed":
            return "disabled"
    return message.splitlines()[0] if message else "(no reason given)"


def outcome(case):
    if (case.find("skipped") is not None or case.get("status") in ("notrun", "disabled")
            or case.get("result") in ("skipped", "suppressed")):
        return "skipped"
    if case.find("failure") is not None or case.find("error") is not None:
        return "failed"
    return "passed"


def read_report(path):
    """[(test id, outcome, skip reason)] of a CTest, GoogleTest or pytest XML report."""
    rows = []
    for case in ET.parse(path).getroot().iter("testcase"):
        state = outcome(case)
        rows.append((test_id(case), state, skip_reason(case) if state == "skipped" else ""))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--allow", default=os.path.join(ROOT, "tests", "allowed-skips.txt"))
    parser.add_argument("reports_dir")
    parser.add_argument("steps", nargs="+")
    args = parser.parse_args()

    errors = []
    entries, problems = read_allow_list(args.allow)
    errors += problems

    reports, left_out = {}, {}
    for step in args.steps:
        xml = os.path.join(args.reports_dir, step + ".xml")
        marker = os.path.join(args.reports_dir, step + ".skipped")
        if os.path.exists(xml):
            try:
                reports[step] = read_report(xml)
            except ET.ParseError as e:
                errors.append(f"{step}: unreadable report {xml}: {e}")
                continue
            if not reports[step]:
                errors.append(f"{step}: the report holds no tests ({xml})")
        elif os.path.exists(marker):
            with open(marker, encoding="utf-8") as f:
                left_out[step] = f.read().strip()
        else:
            errors.append(f"{step}: no report ({xml}): the step did not write one")
    for name in sorted(os.listdir(args.reports_dir)):
        step, ext = os.path.splitext(name)
        if ext == ".skipped" and step not in args.steps:
            with open(os.path.join(args.reports_dir, name), encoding="utf-8") as f:
                left_out[step] = f.read().strip()

    passed = {step: {tid for tid, state, _ in rows if state == "passed"}
              for step, rows in reports.items()}
    skips, unexpected = [], []
    for step, rows in reports.items():
        for tid, state, reason in rows:
            if state != "skipped":
                continue
            entry = next((e for e in entries if e.matches(step, tid)), None)
            skips.append((step, tid, reason, entry))
            if entry is None:
                unexpected.append(f"{step}:{tid} ({reason})")
                continue
            entry.matched.append((step, tid))
            if entry.runs_in and not any(tid in passed.get(s, ()) for s in entry.runs_in):
                errors.append(f"{step}:{tid} is allowed to skip because it runs in "
                              f"{','.join(entry.runs_in)}, but it did not run and pass there "
                              f"(allow-list line {entry.line_no})")

    print("\n== skipped tests")
    for step, tid, reason, entry in skips:
        mark = "allowed" if entry else "NOT ALLOWED"
        line = f"  {mark:<11} {step}:{tid}: {reason}"
        if entry and entry.runs_in:
            line += f" (runs in {','.join(entry.runs_in)})"
        print(line)
    if not skips:
        print("  none")
    totals = {step: len(rows) for step, rows in reports.items()}
    print("  tests per step: " + ", ".join(f"{s} {n}" for s, n in totals.items()))

    print(f"\n== allow-list ({os.path.relpath(args.allow, ROOT)})")
    for e in entries:
        print(f"  {e}  [{len(e.matched)} skipped]")
        checked = [s for s in e.steps if s in reports]
        if not checked:
            print(f"    not checked: no report of {','.join(e.steps)} in this run")
        elif not e.matched:
            errors.append(f"allow-list line {e.line_no} matches no skip of {','.join(checked)}: "
                          f"remove it ({e.steps[0]}:{e.pattern})")

    if left_out:
        print("\n" + "#" * 78)
        for step, why in left_out.items():
            print(f"## STEP LEFT OUT: {step}: {why}")
        print("#" * 78)

    for u in unexpected:
        errors.append(f"unexpected skip: {u}: make it run, or add it to "
                      f"{os.path.relpath(args.allow, ROOT)} with a reason")
    if errors:
        print("\n== skip check FAILED", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        return 1
    print(f"\n== skip check passed: {len(skips)} skip(s), all on the allow-list")
    return 0


if __name__ == "__main__":
    sys.exit(main())
