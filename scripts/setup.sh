#!/bin/sh
# The lab's one set-up step, used by `npm run setup`, by `npm test` (as its pretest) and by .ci/run.
# Plain sh on purpose: it runs before node_modules exists, so neither tsx nor TypeScript is there yet.
# It installs the npm packages when they are missing or older than package-lock.json, then hands
# over to scripts/setup-system.ts, which finds (or installs, as root through apt) Chromium and curl.
set -eu
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "pushbench setup: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi
exec node --import tsx scripts/setup-system.ts "$@"
