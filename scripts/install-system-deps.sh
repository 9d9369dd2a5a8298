#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests need, when they are missing:
# PostgreSQL server binaries (throwaway clusters for production-mode tests), Chromium
# (the UI tests drive it with Playwright; Playwright's own browser download is not used) and
# Python's HTML documentation (python3.11-doc: the real pages content extraction is measured on).
set -euo pipefail

missing=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
if ! ls /usr/share/doc/python3.11/html/*.html >/dev/null 2>&1; then
  missing+=(python3.11-doc)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "install these Debian packages first: ${missing[*]}" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "installing ${missing[*]} …"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
if ! ls /usr/share/doc/python3.11/html/*.html >/dev/null 2>&1; then
  # An image that excludes /usr/share/doc from packages (dpkg path-exclude) installs it empty.
  echo "python3.11-doc installed no pages under /usr/share/doc/python3.11/html:" \
    "allow /usr/share/doc/python3.11 in /etc/dpkg/dpkg.cfg.d, then reinstall it" >&2
  exit 1
fi
