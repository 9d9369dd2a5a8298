#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests need, when missing. Nothing yet for the
# signals pipeline's own tests; later issues add PostgreSQL and Chromium here.
set -euo pipefail
exit 0
