#!/usr/bin/env bash
# A full site build of a seeded site, timed stage by stage: seeds a private Postgres cluster
# with `--measures N`, builds once from empty targets (local folder and git history), then
# once more with nothing changed. Prints the builder's own summary and /usr/bin/time's wall
# time and peak RSS, and keeps the raw output under bench/results/.
#
#   bench/full-build.sh [--measures N] [--port P]
#
# Uses release binaries from $CARGO_TARGET_DIR (built here if missing or stale), or those in
# $BENCH_BIN when set.
set -euo pipefail
cd "$(dirname "$0")/.."
measures=1000
port=54410
while [ $# -gt 0 ]; do
  case "$1" in
    --measures) measures="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    *) echo "unknown option $1 (use --measures N, --port P)" >&2; exit 2 ;;
  esac
done
case "$measures" in ''|*[!0-9]*) echo "--measures must be a whole number" >&2; exit 2 ;; esac

if [ -n "${BENCH_BIN:-}" ]; then
  bin="$BENCH_BIN"
else
  cargo build --release -q -p site-builder -p publisher -p almanac-pgcluster
  bin="${CARGO_TARGET_DIR:-target}/release"
fi
work="$(mktemp -d /tmp/almanac-bench.XXXXXX)"
# The cluster runs as the postgres user, which must reach its data folder.
chmod 755 "$work"
result="bench/results/full-build-$measures-$(date -u +%Y%m%dT%H%M%SZ).txt"
trap '"$bin/almanac-pg" stop "$work/pg" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

url="$("$bin/almanac-pg" start "$work/pg" --port "$port" --database almanac)"
export DATABASE_URL="$url" UPLOAD_DIR="$work/uploads" SITE_DIR="$work/site" \
  SITE_GIT_DIR="$work/history" ENVIRONMENT=development
"$bin/publisher" migrate >/dev/null
"$bin/site-builder" load-reference >/dev/null
{
  echo "# full build, $measures measures, $(date -u +%FT%TZ), $(nproc) cores, $(git rev-parse --short HEAD)"
  /usr/bin/time -f "seed: %e s wall, %M KB peak RSS" "$bin/site-builder" seed --measures "$measures" 2>&1
  echo "## first build (empty targets)"
  /usr/bin/time -f "build: %e s wall, %M KB peak RSS" "$bin/site-builder" build 2>&1
  echo "## second build (nothing changed)"
  /usr/bin/time -f "build: %e s wall, %M KB peak RSS" "$bin/site-builder" build 2>&1
  echo "## output"
  echo "pages (index.html): $(find "$work/site/current/" -name index.html | wc -l)"
  echo "files: $(find "$work/site/current/" -type f | wc -l)"
  echo "size: $(du -sh --apparent-size "$work/site/current/" | cut -f1)"
} 2>&1 | tee "$result"
echo "saved to $result"
