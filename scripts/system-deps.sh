#!/usr/bin/env bash
# Install the Debian packages the test suite needs when any is missing (idempotent).
#   chromium      headless browser: the HTML reports are opened in it (no script may run)
#   poppler-utils pdftotext: the PDF reports' text is checked
#   fonts-noto-core, fonts-noto-cjk, fonts-noto-color-emoji: glyphs for Latin, CJK and emoji names
# `apt-get update` runs only when something is missing. Without root (or without apt-get) the script
# only says what is missing; the tests that need a missing tool are then skipped with that reason.
set -u

PACKAGES=(chromium poppler-utils fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: missing ${missing[*]} (install them as root: apt-get install ${missing[*]})" >&2
    exit 0
fi
echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq || echo "system-deps: apt-get update failed" >&2
# one package at a time: a package missing from this Debian release does not block the others
for p in "${missing[@]}"; do
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$p" >/dev/null || echo "system-deps: could not install $p" >&2
done
exit 0
