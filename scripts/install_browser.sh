#!/usr/bin/env bash
# The browser the web-app tests drive: Debian's chromium and chromium-driver, from the Debian package registry.
#   bash scripts/install_browser.sh                               # scripts/install.sh runs it as its last stage
#   AUDIO_OMNI_REQUIRE_BROWSER=1 bash scripts/install_browser.sh  # .ci/run: no browser is an error
# Selenium drives the chromedriver found on PATH; no browser build is ever downloaded by anything else.
# The browser is for the tests only: where it cannot be installed (no apt-get, or neither root nor sudo without a
# password), this script says so and exits 0, the install goes on, and tests/serve/test_app_browser.py skips.
# With AUDIO_OMNI_REQUIRE_BROWSER=1 the same situation is an error (exit 1), and the browser tests fail too.
set -euo pipefail
PACKAGES=(chromium chromium-driver)

missing() {
  local why="$1"
  if [[ -n "${AUDIO_OMNI_REQUIRE_BROWSER:-}" ]]; then
    echo "error: the browser tests need Debian's ${PACKAGES[*]}: $why" >&2
    exit 1
  fi
  echo "browser: not installed ($why); the browser tests will be skipped. To run them, install" \
    "${PACKAGES[*]} (Debian/Ubuntu: apt-get install ${PACKAGES[*]})"
  exit 0
}

if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  echo "browser: $(chromium --version 2>/dev/null | head -1) (already installed)"
  exit 0
fi
command -v apt-get >/dev/null || missing "this machine has no apt-get"
SUDO=()
if [[ "$(id -u)" != 0 ]]; then
  sudo -n true 2>/dev/null || missing "installing them takes root, and sudo asks for a password"
  SUDO=(sudo -n)
fi
export DEBIAN_FRONTEND=noninteractive
if ! { "${SUDO[@]}" apt-get update -qq && "${SUDO[@]}" apt-get install -y -qq "${PACKAGES[@]}" >/dev/null; }; then
  missing "apt-get could not install them (see above)"
fi
command -v chromium >/dev/null && command -v chromedriver >/dev/null \
  || missing "apt-get installed them, but chromium or chromedriver is not on PATH"
echo "browser: $(chromium --version 2>/dev/null | head -1) (installed in ${SECONDS}s)"
