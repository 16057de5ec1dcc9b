#!/usr/bin/env bash
# Reports the failing tests of trace artifacts in a GitHub Actions job: a table in the job summary
# (each cause linked to its span in your hosted Sightline) and the same report in the log.
#
#   SIGHTLINE_URL  where your Sightline is hosted, e.g. https://acme.github.io/sightline/
#   TRACES_URL     where the artifact is served for the link to fetch (with CORS); optional
#   SIGHTLINE_BIN  the command-line tool (default: sightline, from `cargo install --path cli`)
#
# Exits with the tool's status: 1 when a test failed, 0 when none did, 2 when nothing was read.
set -uo pipefail
bin="${SIGHTLINE_BIN:-sightline}"
args=(--base-url "${SIGHTLINE_URL:?set SIGHTLINE_URL to your hosted Sightline}")
if [ -n "${TRACES_URL:-}" ]; then
  args+=(--src "$TRACES_URL")
fi
"$bin" --markdown "${args[@]}" "$@" >> "${GITHUB_STEP_SUMMARY:-/dev/stdout}"
"$bin" "${args[@]}" "$@"
