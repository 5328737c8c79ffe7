#!/usr/bin/env bash
# Runs every Conveyor test on a fresh machine: installs what the tests need when it is missing
# (the .NET SDK is expected; redis-server and redis-cli, chromium for the dashboard's browser tests,
# and for the container tests docker.io, docker-compose and debootstrap, from Debian packages),
# builds, and runs `dotnet test` over the whole solution. .ci/run calls exactly this script. The
# container tests start dockerd themselves when it is not running (tests/Conveyor.Containers.Tests/test-images.sh).
set -euo pipefail
cd "$(dirname "$0")"

need_pkgs=()
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need_pkgs+=(redis-tools)
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
# The dashboard's browser tests drive Debian's Chromium through Playwright (never a downloaded browser).
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || need_pkgs+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
# The OpenAPI lint test runs @redocly/cli (npm, pinned in tests/tools/package-lock.json) on Node.js.
command -v npm >/dev/null 2>&1 || need_pkgs+=(npm)
# The fault tests inject a failed fsync with strace (SqliteFsyncFailureTests).
command -v strace >/dev/null 2>&1 || need_pkgs+=(strace)
# The RabbitMQ store tests start a real rabbitmq-server (Debian 12: 3.10) on free loopback ports.
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need_pkgs+=(rabbitmq-server)
# The partition tests make network namespaces and veth pairs (iproute2) and drop packets in them (nftables).
command -v ip >/dev/null 2>&1 || need_pkgs+=(iproute2)
command -v nft >/dev/null 2>&1 || need_pkgs+=(nftables)
# The clock-skew tests run brokers and workers on a clock 30 s off (libfaketime).
command -v faketime >/dev/null 2>&1 || need_pkgs+=(faketime)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "test.sh: installing ${need_pkgs[*]} (Debian packages)"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
# The Debian package starts a system redis-server on 6379; the tests never use it (they start
# their own on free loopback ports), so leave it alone.

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK is required (https://dot.net); dotnet was not found on PATH" >&2
  exit 1
fi

# The linter, installed once into tests/tools/node_modules (again when the pinned version changes).
redocly_version="$(sed -n 's/.*"@redocly\/cli": "\([^"]*\)".*/\1/p' tests/tools/package.json)"
if [ ! -x tests/tools/node_modules/.bin/redocly ] || ! grep -q "\"version\": \"$redocly_version\"" tests/tools/node_modules/@redocly/cli/package.json 2>/dev/null; then
  echo "test.sh: installing @redocly/cli $redocly_version into tests/tools (npm ci)"
  (cd tests/tools && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
dotnet build Conveyor.slnx -c Release -nologo -clp:ErrorsOnly
# Two lanes at once: the process-level tests (tests/Conveyor.EndToEnd.Tests, much of their time
# waiting on leases, clocks and restarts: about 1.5 of the 2 cores on average), then the container
# tests (mostly waiting on Docker), beside every other test project, one after another. Run one after
# the other, every project took 13-14 min on CI's machine; in these two lanes the suite took 12 min
# with more tests (2026-12-02: EndToEnd 8 min beside Stores 4, Server 3, Dashboard 2 and Containers 1).
# The EndToEnd lane's lines are prefixed "[lane 2] "; each lane's log is kept for the closing count.
e2e=tests/Conveyor.EndToEnd.Tests/Conveyor.EndToEnd.Tests.csproj
containers=tests/Conveyor.Containers.Tests/Conveyor.Containers.Tests.csproj
mapfile -t projects < <(sed -n 's|.*Path="\(tests/[^"]*\.Tests/[^"]*\.csproj\)".*|\1|p' Conveyor.slnx)
if [ "${#projects[@]}" -lt 2 ] || [ ! -f "$e2e" ] || [ ! -f "$containers" ]; then echo "test.sh: the test projects were not found in Conveyor.slnx" >&2; exit 1; fi
e2e_log="$(mktemp)"
rest_log="$(mktemp)"
trap 'rm -f "$e2e_log" "$rest_log"' EXIT
run_tests() { dotnet test "$1" -c Release --no-build -nologo --logger "console;verbosity=minimal" "${@:2}"; }
set +e
(
  lane_status=0
  for project in "$e2e" "$containers"; do
    run_tests "$project" "$@" 2>&1 | tee -a "$e2e_log" | sed -u 's/^/[lane 2] /'
    [ "${PIPESTATUS[0]}" -eq 0 ] || lane_status=1
  done
  exit "$lane_status"
) &
e2e_pid=$!
status=0
for project in "${projects[@]}"; do
  [ "$project" = "$e2e" ] || [ "$project" = "$containers" ] && continue
  run_tests "$project" "$@" 2>&1 | tee -a "$rest_log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
wait "$e2e_pid" || status=1
set -e
# One closing line over every test project: "N passed, N failed, N skipped".
awk '/^(Passed|Failed)! +- Failed: / {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1));
         if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$rest_log" "$e2e_log"
exit "$status"
