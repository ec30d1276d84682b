#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter, or explains how to get one and fails.
# Rasa 3.6 supports Python 3.8-3.10 only, so Relay's virtualenv must be built with 3.10.
set -euo pipefail
candidates=("${PYTHON310:-}" python3.10)
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for dir in "$root"/versions/3.10*; do candidates+=("$dir/bin/python3.10"); done
fi
for dir in "$HOME"/.pyenv/versions/3.10*; do candidates+=("$dir/bin/python3.10"); done
for py in "${candidates[@]}"; do
  [ -n "$py" ] || continue
  path=$(command -v "$py" 2>/dev/null) || continue
  if "$path" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
    echo "$path"
    exit 0
  fi
done
cat >&2 <<'MSG'
Relay needs Python 3.10 (Rasa 3.6 does not run on 3.11 or newer), and none was found.
Install one, then run make again:
  - with pyenv:   pyenv install 3.10.13
  - on Debian/Ubuntu: apt-get install python3.10 python3.10-venv   (deadsnakes PPA on older Ubuntu)
  - or point Relay at one: make run PYTHON310=/path/to/python3.10
MSG
exit 1
