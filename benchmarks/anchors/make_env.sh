#!/usr/bin/env bash
# Build the anchor environment of one study's benchmark: .anchors/<study>/ (git-ignored).
#   bash benchmarks/anchors/make_env.sh spectra|dwarfs|nngp
# spectra and dwarfs also get powertail itself (editable), so one script times both;
# nngp's anchor (neural-tangents, jax 0.5.3) cannot live beside powertail and is called in a subprocess.
set -euo pipefail
cd "$(dirname "$0")/../.."
study="${1:?usage: make_env.sh spectra|dwarfs|nngp}"
req="benchmarks/anchors/${study}.txt"
[ -f "$req" ] || { echo "make_env.sh: no anchor list $req (expected spectra, dwarfs or nngp)" >&2; exit 2; }
env=".anchors/${study}"
python3 -m venv "$env"
"$env/bin/python" -m pip install -q --upgrade pip
if grep -q '^torch==' "$req"; then
  # torch first and alone, so pip takes the CPU wheel.
  "$env/bin/python" -m pip install -q "$(grep '^torch==' "$req")"
fi
"$env/bin/python" -m pip install -q -r "$req"
if [ "$study" != nngp ]; then
  "$env/bin/python" -m pip install -q -e .
fi
echo "anchor environment ready: $env ($("$env/bin/python" --version))"
