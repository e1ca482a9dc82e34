#!/usr/bin/env bash
# Install everything autograd_lite needs, then run the demo or the test suite.
#
#   bash scripts/quickstart.sh demo    # install, then run the main demo
#   bash scripts/quickstart.sh test    # install with the dev, examples, notebooks, browser
#                                      # and gif extras, run every test
#
# System packages: Debian's `graphviz` (the `dot` program that renders graph pictures) and,
# in test mode, `chromium` and `chromium-driver` (the browser test of draw_backward's page),
# installed with apt-get when running as root (or with password-less sudo); otherwise a
# note is printed and the tests that need them skip. Python packages go into the active
# virtualenv, or, when none is active, into ./.venv (created here), so the system Python is
# untouched.
set -euo pipefail

mode="${1:-demo}"
shift || true
cd "$(dirname "$0")/.."

as_root() {
    if [ "$(id -u)" = "0" ]; then "$@";
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@";
    else return 1; fi
}

apt_install() {
    # apt_install WHY PACKAGE...: installs Debian packages when we can; never fails the run
    # when we cannot (WHY says what goes without them).
    local why="$1"
    shift
    command -v apt-get >/dev/null 2>&1 || { echo "note: no apt-get; install $* by hand" >&2; return 0; }
    if as_root true 2>/dev/null; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
            && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
            || echo "note: apt-get install $* failed; continuing" >&2
    else
        echo "note: not root, skipping 'apt-get install $*' ($why)" >&2
    fi
}

if ! command -v dot >/dev/null 2>&1; then
    apt_install "pictures need Graphviz's dot" graphviz
fi

if [ -n "${VIRTUAL_ENV:-}" ]; then
    python="python"
else
    if [ ! -x .venv/bin/python ]; then
        if ! python3 -m venv .venv 2>/dev/null; then
            rm -rf .venv
            apt_install "a virtualenv needs them" python3-venv python3-pip
            python3 -m venv .venv
        fi
    fi
    python=".venv/bin/python"
fi

"$python" -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
case "$mode" in
    demo)
        "$python" -m pip install --quiet -e .
        exec "$python" -m autograd_lite demo "$@"
        ;;
    test)
        # the browser test drives Debian's Chromium through its own driver (never downloaded)
        if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
            apt_install "the browser test skips without them" chromium chromium-driver
        fi
        "$python" -m pip install --quiet -e ".[dev,examples,notebooks,browser,gif]"
        # pytest exits 5 when it collects no test: that is a failure here too.
        exec "$python" -m pytest "$@"
        ;;
    *)
        echo "usage: bash scripts/quickstart.sh demo|test [extra args]" >&2
        exit 2
        ;;
esac
