#!/usr/bin/env bash
# System packages ccstudy needs beyond Python (installed with apt-get when missing).
# One line per need, so each can be read (and changed) on its own.
set -euo pipefail

need() {  # need <file or command that proves the package is there> <debian package>...
    local probe=$1; shift
    if [[ -e $probe ]] || command -v "$probe" >/dev/null 2>&1; then return 0; fi
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        echo "ccstudy needs the system package(s) $* (not found: $probe); install them, e.g. sudo apt-get install -y $*" >&2
        return 1
    fi
    if [[ -z ${CCSTUDY_APT_UPDATED:-} ]]; then apt-get update -qq; export CCSTUDY_APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 "$@" >/dev/null
}

# CJK fonts for figures, PDF and HTML reports in Chinese (Noto Sans/Serif CJK).
need /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc fonts-noto-cjk
# pdftoppm rasterises PDF pages in the report layout tests.
need pdftoppm poppler-utils
# Headless Chromium opens the HTML reports in the tests.
need chromium chromium
