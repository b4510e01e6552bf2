#!/usr/bin/python3
"""The longest functions and the longest files of src/, so that a before/after can be reproduced.

Usage: scripts/function-lengths.py [ROOT] [-n N] [--files-over LINES]
  ROOT          a checkout (default: this one); only ROOT/src is read, nothing is written
  -n N          how many functions to list (default 10)
  --files-over  list the files longer than this many lines (default 700)

Functions are those of the non-test .cc files (`*_test.cc` left out); files are the non-test
.cc and .h files. A function's length is its lines from the first line of its signature to its
closing brace.

This is a heuristic, not a C++ parser: comments, string/char literals (raw strings included) and
preprocessor lines are blanked, then braces are matched. A `{` opens a function when the text
before it (back to the previous `;`, `{` or `}`) has a parameter list closed by `)`, optionally
followed by qualifiers (const, noexcept, override, a trailing return type) or a constructor's
initializer list, and is not a control statement (if/for/while/switch/catch) or a lambda
(`](`). Namespaces, classes, structs and unions are entered, so member functions defined in a
class body count; any other brace (initializers, enums) is skipped whole. Lambdas and blocks
inside a function count as part of it. Macros that expand into functions are not seen.
"""

import argparse
import os
import re
import statistics
import sys

CONTROL = {"if", "for", "while", "switch", "catch", "do", "else", "try", "return", "sizeof",
           "decltype", "alignas", "static_assert", "requires"}
CONTAINER = re.compile(r"^(?:template\s*<.*>\s*)?(?:namespace|class|struct|union)\b", re.S)
# What may follow a parameter list's `)` before a function body's `{`.
QUALIFIERS = re.compile(
    r"^(?:\s*(?:const|volatile|noexcept(?:\s*\([^)]*\))?|override|final|mutable|&&?|"
    r"->\s*[\w:<>,\s*&]+?|\[\[[^\]]*\]\]|requires\b.*))*\s*$", re.S)


def blank(text):
    """`text` with comments, literals and preprocessor lines turned into spaces (newlines kept)."""
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c == "#":
            # A preprocessor line, with its backslash continuations.
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append(" \n")
                    i += 2
                    continue
                out.append(" ")
                i += 1
            continue
        if c == "\n":
            out.append(c)
            line_start = True
            i += 1
            continue
        if not c.isspace():
            line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                out.append(" ")
                i += 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
            continue
        m = re.match(r'(?:u8|u|U|L)?R"([^()\\\s]{0,16})\(', text[i:i + 40])
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            close = ")" + m.group(1) + '"'
            end = text.find(close, i + m.end())
            end = n if end < 0 else end + len(close)
            out.append('"' + re.sub(r"[^\n]", " ", text[i + 1:end - 1]) + '"')
            i = end
            continue
        if c == '"' or (c == "'" and not (i > 0 and text[i - 1].isdigit())):
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + (c if j < n else ""))
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def function_name(header):
    """The name before the parameter list of a function header, or None if it is no function."""
    if "](" in header.replace(" ", "") or re.search(r"\]\s*\(", header):
        return None  # a lambda
    depth = 0
    for k, ch in enumerate(header):
        if ch == "<":
            depth += 1
        elif ch == ">" and depth:
            depth -= 1
        elif ch == "(" and depth == 0:
            m = re.search(r"((?:[\w~]+\s*::\s*)*(?:operator\s*\S+?|~?\w+))\s*$", header[:k])
            if not m:
                return None
            name = m.group(1)
            if name.split("::")[-1].strip() in CONTROL:
                return None
            before = header[:m.start(1)]
            if "=" in before.replace("==", "").replace("operator=", ""):
                return None  # an initializer
            # The body must follow the closing parenthesis, after qualifiers or an initializer
            # list (`) : member_(x), base(y) {`).
            close = matching_paren(header, k)
            if close is None:
                return None
            rest = header[close + 1:]
            if QUALIFIERS.match(rest) or re.match(r"^\s*(?:noexcept\s*)?:[^:]", rest):
                return re.sub(r"\s+", "", name)
            return None
    return None


def matching_paren(s, k):
    depth = 0
    for j in range(k, len(s)):
        if s[j] == "(":
            depth += 1
        elif s[j] == ")":
            depth -= 1
            if depth == 0:
                return j
    return None


def functions(path):
    """(name, first line, last line) of each function defined in the file."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = blank(f.read())
    found = []
    line = 1
    header_start = 0  # index where the text since the last ; { } began
    stack = []  # per open brace: "container", "function" or "other"
    starts = []  # per open brace: (name, first line) for functions
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif c in ";{}":
            inside = any(kind in ("function", "other") for kind in stack)
            if c == "{" and not inside:
                header = text[header_start:i]
                stripped = header.strip()
                first_line = line - header[len(header) - len(header.lstrip()):].count("\n")
                if CONTAINER.match(stripped) or stripped.startswith('extern "'):
                    stack.append("container")
                    starts.append(None)
                else:
                    name = function_name(stripped)
                    stack.append("function" if name else "other")
                    starts.append((name, first_line) if name else None)
            elif c == "{":
                stack.append("block")
                starts.append(None)
            elif c == "}" and stack:
                kind = stack.pop()
                start = starts.pop()
                if kind == "function":
                    found.append((start[0], start[1], line))
            header_start = i + 1
        elif c == ":" and not any(k in ("function", "other") for k in stack):
            # `public:` / `private:` end a header inside a class body.
            if re.search(r"\b(?:public|private|protected)\s*$", text[header_start:i]):
                header_start = i + 1
        i += 1
    return found


def source_files(src, exts):
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(exts) and not name.endswith("_test.cc"):
                yield os.path.join(dirpath, name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", nargs="?",
                        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    parser.add_argument("-n", type=int, default=10)
    parser.add_argument("--files-over", type=int, default=700)
    args = parser.parse_args()
    root = os.path.abspath(args.root)
    src = os.path.join(root, "src")
    if not os.path.isdir(src):
        sys.exit(f"{src}: no such directory")

    rows = []
    for path in source_files(src, (".cc",)):
        rel = os.path.relpath(path, root)
        for name, first, last in functions(path):
            rows.append((last - first + 1, name, f"{rel}:{first}"))
    rows.sort(key=lambda r: (-r[0], r[2]))
    lengths = [r[0] for r in rows]
    print(f"{len(rows)} functions in {root}/src (non-test .cc), median "
          f"{statistics.median(lengths) if lengths else 0:g} lines; the {args.n} longest:")
    for length, name, where in rows[:args.n]:
        print(f"  {length:5d}  {name}  ({where})")

    big = []
    for path in source_files(src, (".cc", ".h")):
        with open(path, encoding="utf-8", errors="replace") as f:
            count = sum(1 for _ in f)
        if count > args.files_over:
            big.append((count, os.path.relpath(path, root)))
    big.sort(key=lambda r: (-r[0], r[1]))
    print(f"Files over {args.files_over} lines (non-test .cc/.h): {len(big)}")
    for count, rel in big:
        print(f"  {count:5d}  {rel}")


if __name__ == "__main__":
    main()
