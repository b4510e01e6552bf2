#!/usr/bin/env python3
"""Fails on a `catch (...)` in src/ that swallows an error without saying what it was.

The rule: the body of every `catch (...)` either rethrows (`throw;`, or throws an error that
carries the reason) or reports what it caught: a Log(...) line, fprintf/fmt::print/std::cerr to
stderr, spdlog, or cruddur::CurrentExceptionWhat() (src/common/current_exception.h), which gives
the caught exception's what(). Where nothing can be reported (the helper itself), the catch line
carries a `check-catch-all: <reason>` comment.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CATCH_ALL = re.compile(r"catch\s*\(\s*\.\.\.\s*\)\s*\{")
REPORTS = re.compile(
    r"\bthrow\b|\bLog\(|\bfprintf\(|\bfmt::print\(|\bstd::cerr\b|\bspdlog::|"
    r"\bCurrentExceptionWhat\(|\bstd::current_exception\(")


def body_end(text, start):
    """The index of the `}` closing the block whose `{` is at text[start]."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return len(text)


def strip_comments(code):
    return re.sub(r"//[^\n]*|/\*.*?\*/", "", code, flags=re.S)


def main():
    bad = []
    files = sorted(p for ext in ("*.cc", "*.h") for p in (ROOT / "src").rglob(ext))
    count = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in CATCH_ALL.finditer(text):
            count += 1
            line_end = text.find("\n", m.end())
            if "check-catch-all:" in text[m.start():line_end]:
                continue
            body = strip_comments(text[m.end() - 1:body_end(text, m.end() - 1) + 1])
            if not REPORTS.search(body):
                line = text.count("\n", 0, m.start()) + 1
                bad.append(f"{path.relative_to(ROOT)}:{line}")
    if bad:
        print("catch (...) that neither rethrows nor reports what it caught "
              "(scripts/check-catch-all.py says how):", file=sys.stderr)
        for b in bad:
            print("  " + b, file=sys.stderr)
        return 1
    print(f"catch (...): {count} in src/, each rethrows or reports")
    return 0


if __name__ == "__main__":
    sys.exit(main())
