#!/usr/bin/env bash
# Chromium for the browser check of the runtime matrix, from Debian's packages (never a browser
# download). Does nothing when /usr/bin/chromium is there already.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y chromium
