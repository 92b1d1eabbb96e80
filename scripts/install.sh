#!/usr/bin/env bash
# Prepare a Debian 12 machine to run Council: system packages, the .venv
# and compiled translations. Safe to run repeatedly; a second run only
# checks things and takes a second or two.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Run a command as root: directly if we are root, via sudo otherwise.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "install.sh: need root (or sudo) to run: $*" >&2
        exit 1
    fi
}

# --- Debian packages ---------------------------------------------------------
# Fonts/pango/harfbuzz: WeasyPrint PDF output with Chinese text.
# postgresql: throwaway test clusters.  chromium: Playwright browser tests
# (we use Debian's build, never a downloaded one).  poppler-utils: PDF checks.
# nginx, openssl: the reference deployment (deploy/) tested behind HTTPS.
packages=(fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0
          postgresql chromium poppler-utils nginx openssl)

# A bare Debian has no python3.11, and Debian's python lacks ensurepip
# (hence venv) until python3.11-venv is installed.
if ! command -v python3.11 >/dev/null 2>&1 \
   || ! python3.11 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    packages+=(python3.11 python3.11-venv)
fi

missing=()
for pkg in "${packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "install.sh: installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- Python virtualenv -------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
    echo "install.sh: creating .venv"
    python3.11 -m venv .venv
fi

# The stamp is tied to pyproject.toml's content, so editing dependencies
# triggers a reinstall while an unchanged project skips pip entirely.
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -e "$stamp" ]; then
    echo "install.sh: installing Python dependencies"
    # Playwright is only used with /usr/bin/chromium; never fetch browsers.
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
        .venv/bin/pip install --disable-pip-version-check -q -e ".[test]"
    rm -f .venv/.installed-*
    touch "$stamp"
fi

# --- Translations ------------------------------------------------------------
# .mo files are not committed; compiling is cheap so always redo it.
# Every .po is its own domain (messages, imports, …); council.core.i18n merges them.
if [ -d council/locale ]; then
    find council/locale -name '*.po' -print0 | while IFS= read -r -d '' po; do
        .venv/bin/pybabel -q compile -i "$po" -o "${po%.po}.mo"
    done
fi

# --- Accessibility checker (tests only) -----------------------------------------
# axe-core from the npm registry, injected into the Playwright pages by tests/a11y.py.
# Debian's npm is installed only where no npm is on the machine already.
AXE_VERSION=4.14.1
if [ ! -f ".cache/node/node_modules/axe-core/axe.min.js" ] \
   || ! grep -q "\"version\": \"$AXE_VERSION\"" .cache/node/node_modules/axe-core/package.json 2>/dev/null; then
    if ! command -v npm >/dev/null 2>&1; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm
    fi
    mkdir -p .cache/node
    npm install --prefix .cache/node --no-save --no-audit --no-fund --silent "axe-core@$AXE_VERSION"
fi
