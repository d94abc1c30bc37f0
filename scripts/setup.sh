#!/usr/bin/env bash
# Set up (or refresh) the course environment; safe to run again and again.
#
#   1. .venv with Python 3.11 (python3.11, or python3 when that is 3.11), created if missing;
#   2. pip install -r requirements.txt (the pins, plus the course itself with -e .),
#      skipped when requirements.txt and pyproject.toml are unchanged since the last
#      successful install (a stamp in .venv records them);
#   3. MNIST: when data/MNIST/raw is missing, link it from $MNIST_DIR (an MNIST folder with
#      raw/ inside, or the folder of the four IDX files itself) or ../shared/data/MNIST;
#   4. Chromium for the self-study book's browser test: Debian's `chromium`, installed with
#      apt-get when missing and running as root (else a loud message; BFS_CHROMIUM may name
#      another Chromium binary).
#
# Usable from any directory. Set BFS_PYTHON to choose the interpreter that creates .venv.
set -euo pipefail

# A relative MNIST_DIR means relative to where the script was started.
if [ -n "${MNIST_DIR:-}" ] && [ -d "$MNIST_DIR" ]; then MNIST_DIR=$(cd "$MNIST_DIR" && pwd); fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
STAMP="$VENV/.requirements.sha256"

say() { echo "setup: $*"; }

is_311() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; }

if [ ! -x "$VENV/bin/python" ]; then
  python=""
  for candidate in ${BFS_PYTHON:-} python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && is_311 "$candidate"; then
      python=$(command -v "$candidate")
      break
    fi
  done
  if [ -z "$python" ]; then
    echo "setup: Python 3.11 is needed (python3.11, or python3 being 3.11; or set BFS_PYTHON)" >&2
    exit 1
  fi
  say "creating .venv with $python ($("$python" --version 2>&1))"
  "$python" -m venv "$VENV"
elif ! is_311 "$VENV/bin/python"; then
  echo "setup: .venv is $("$VENV/bin/python" --version 2>&1), not Python 3.11; remove .venv and run again" >&2
  exit 1
else
  say "using .venv ($("$VENV/bin/python" --version 2>&1))"
fi

wanted=$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ]; then
  say "requirements.txt unchanged since the last install: skipping pip install"
else
  say "pip install -r requirements.txt"
  started=$SECONDS
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r requirements.txt
  echo "$wanted" > "$STAMP"
  say "installed in $((SECONDS - started)) s"
fi

has_idx() { [ -f "$1/train-images-idx3-ubyte" ] && [ -f "$1/t10k-labels-idx1-ubyte" ]; }

if [ -d data/MNIST/raw ]; then
  say "MNIST: data/MNIST/raw is there"
else
  link="" target=""
  if [ -n "${MNIST_DIR:-}" ]; then
    if [ -d "$MNIST_DIR/raw" ]; then          # MNIST_DIR=/path/to/MNIST (holding raw/)
      link=data/MNIST target=$(cd "$MNIST_DIR" && pwd)
    elif has_idx "$MNIST_DIR"; then           # MNIST_DIR=/path/to/the/four/files
      link=data/MNIST/raw target=$(cd "$MNIST_DIR" && pwd)
    else
      echo "setup: MNIST_DIR=$MNIST_DIR holds neither raw/ nor the MNIST files; ignoring it" >&2
    fi
  fi
  if [ -z "$link" ] && [ -d ../shared/data/MNIST/raw ]; then
    link=data/MNIST target=$(cd ../shared/data/MNIST && pwd)
  fi
  if [ -n "$link" ]; then
    mkdir -p data
    if [ -L data/MNIST ]; then
      rm data/MNIST  # a dangling link from an earlier set-up
    elif [ "$link" = data/MNIST ] && [ -e data/MNIST ]; then
      echo "setup: data/MNIST exists but has no raw/ folder; move it away to link $target" >&2
      exit 1
    fi
    mkdir -p "$(dirname "$link")"
    ln -s "$target" "$link"
    say "MNIST: linked $link -> $target"
  else
    say "MNIST: not found (set MNIST_DIR, or put the files in data/MNIST/raw); notebooks will" \
        "download it when online, or fall back to the small digits dataset offline"
  fi
fi

if [ -n "${BFS_CHROMIUM:-}" ]; then
  say "chromium: $BFS_CHROMIUM (BFS_CHROMIUM)"
elif command -v chromium >/dev/null 2>&1; then
  say "chromium: $(command -v chromium)"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  say "installing Debian's chromium for the book's browser test (apt-get)"
  started=$SECONDS
  if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/tmp/bfs-apt-chromium.log 2>&1; then
    say "chromium installed in $((SECONDS - started)) s: $(command -v chromium)"
  else
    echo "setup: WARNING: apt-get could not install chromium (log: /tmp/bfs-apt-chromium.log);" \
         "tests/test_book_browser.py will fail until a Chromium is there" >&2
  fi
else
  echo "setup: WARNING: no chromium, and not root to apt-get it: tests/test_book_browser.py will" \
       "fail. Install Debian's chromium (sudo apt-get install chromium) or set BFS_CHROMIUM" \
       "to a Chromium binary." >&2
fi
