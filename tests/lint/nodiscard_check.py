#!/usr/bin/env python3
"""Every function returning absl::Status or absl::StatusOr<...> is
[[nodiscard]]: each declaration in a header, and in a .cc file each file-local
one (anonymous namespace or static). Abseil marks absl::Status must-use on
clang only; with the attribute on every function, gcc's -Werror=unused-result
(CMakeLists.txt) refuses a dropped error too.

  nodiscard_check.py ROOT DIR...   lists what lacks it; exit 1 if anything
  nodiscard_check.py --fix ROOT DIR...   adds it
  nodiscard_check.py --self-test   checks the checker on samples
"""
import os
import re
import sys

PREFIX = re.compile(
    r"^(\s*)((?:(?:virtual|static|inline|constexpr|friend|explicit)\s+)*)"
    r"absl::Status")
NAME_CALL = re.compile(r"^\s*(operator\S+|~?[A-Za-z_][\w:]*)\s*\(")


def type_end(line, i):
    """Index just past the return type that starts at `i` (after
    "absl::Status"), or -1 when its template arguments do not close."""
    if not line.startswith("Or<", i):
        return i
    depth = 0
    for j in range(i + 2, len(line)):
        if line[j] == "<":
            depth += 1
        elif line[j] == ">":
            depth -= 1
            if depth == 0:
                return j + 1
    return -1


def missing(path, lines):
    """Line indexes of declarations without [[nodiscard]]."""
    header = path.endswith(".h")
    namespaces = []  # True for an anonymous one
    found = []
    for n, line in enumerate(lines):
        stripped = line.strip()
        if re.match(r"^namespace\s*\{", stripped):
            namespaces.append(True)
        elif re.match(r"^(inline\s+)?namespace\s+[\w:]+\s*\{", stripped):
            namespaces.append(False)
        elif re.match(r"^}\s*//\s*namespace", stripped) and namespaces:
            namespaces.pop()
        m = PREFIX.match(line)
        if not m:
            continue
        end = type_end(line, m.end())
        if end < 0:
            continue
        rest = line[end:]
        if rest and not rest[0].isspace():
            continue  # absl::StatusCode, absl::StatusOr<T>::value_type, ...
        rest = rest.strip()
        if rest:
            name = NAME_CALL.match(rest)
        elif n + 1 < len(lines):
            name = NAME_CALL.match(lines[n + 1])
        else:
            name = None
        if not name:
            continue  # a variable
        previous = lines[n - 1].strip() if n else ""
        if "[[nodiscard]]" in line or previous.endswith("[[nodiscard]]"):
            continue
        if "friend" in m.group(2):
            continue
        if not header:
            local = (namespaces and namespaces[-1]) or "static" in m.group(2)
            if not local or "::" in name.group(1):
                continue  # defines what a header declared
        found.append(n)
    return found


def sources(root, dirs):
    for d in dirs:
        for base, _, files in os.walk(os.path.join(root, d)):
            for f in sorted(files):
                if f.endswith((".h", ".cc")):
                    yield os.path.join(base, f)


def check(root, dirs, fix):
    total = 0
    for path in sources(root, dirs):
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        found = missing(path, lines)
        for n in found:
            print(f"{os.path.relpath(path, root)}:{n + 1}: no [[nodiscard]]: "
                  f"{lines[n].strip()}")
        total += len(found)
        if fix and found:
            for n in found:
                m = PREFIX.match(lines[n])
                indent = m.group(1)
                lines[n] = indent + "[[nodiscard]] " + lines[n][len(indent):]
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines))
    if total and not fix:
        print(f"{total} functions return absl::Status or StatusOr without "
              "[[nodiscard]] (add it; --fix does)")
        return 1
    return 0


SAMPLE_HEADER = """\
namespace mdefleet {
absl::Status Bare(int x);
[[nodiscard]] absl::Status Marked(int x);
absl::StatusOr<std::map<std::string, int>>
Wrapped(int x);
class C {
  virtual absl::Status Virtual() = 0;
  absl::Status status_;
  absl::StatusCode code() const;
};
}  // namespace mdefleet
"""
SAMPLE_SOURCE = """\
namespace mdefleet {
namespace {
absl::Status Local() { return absl::OkStatus(); }
}  // namespace
absl::Status C::Member() { absl::Status s = Local(); return s; }
static absl::StatusOr<int> Static() { return 1; }
}  // namespace mdefleet
"""


def self_test():
    got_h = missing("x.h", SAMPLE_HEADER.split("\n"))
    got_cc = missing("x.cc", SAMPLE_SOURCE.split("\n"))
    want_h, want_cc = [1, 3, 6], [2, 5]
    if got_h != want_h or got_cc != want_cc:
        print(f"self-test failed: header {got_h} (want {want_h}), "
              f"source {got_cc} (want {want_cc})")
        return 1
    print("self-test passed")
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    fix = "--fix" in argv
    args = [a for a in argv[1:] if a != "--fix"]
    if len(args) < 2:
        print(__doc__)
        return 2
    return check(args[0], args[1:], fix)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
