#!/usr/bin/env bash
# The browser the web-app tests drive: Debian's chromium and chromium-driver (apt, so root), nothing else.
#   bash scripts/install_browser.sh        # CI runs it before the tests; a developer may run it once
# Selenium talks to the chromedriver found on PATH; no browser build is ever downloaded by anything else.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  echo "browser: $(chromium --version 2>/dev/null | head -1) (already installed)"
  exit 0
fi
SUDO=()
[[ "$(id -u)" != 0 ]] && SUDO=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq chromium chromium-driver >/dev/null
echo "browser: $(chromium --version 2>/dev/null | head -1) (installed in ${SECONDS}s)"
