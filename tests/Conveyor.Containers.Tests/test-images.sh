#!/usr/bin/env bash
# Makes sure a Docker engine runs here and that the base images the container tests need exist,
# then prints them as KEY=VALUE lines on stdout (everything else goes to stderr).
#
# No image registry is reachable from our machines, so the bases come from Debian's packages:
#   conveyor-test/bookworm     debootstrap --variant=minbase bookworm, docker import (about 25 s)
#   conveyor-test/dotnet-runtime  + libicu72, libssl3, ca-certificates, tzdata, and this machine's
#                                 .NET runtimes copied in: the RUNTIME_IMAGE of the Dockerfile
#   conveyor-test/dotnet-sdk   + this machine's .NET SDK (and its CA bundle, to reach NuGet through
#                              this machine's network): the SDK_IMAGE of the Dockerfile
#   conveyor-test/redis        + Debian's redis-server, with an entrypoint that appends
#                              --port $CT_REDIS_PORT --bind 127.0.0.1 to the compose file's command
# Each is tagged with what it is made from (recipe version, .NET versions), so a second run finds
# them all and takes a second. Usage: test-images.sh DOTNET_ROOT
set -euo pipefail
dotnet_root="${1:?usage: test-images.sh DOTNET_ROOT}"
recipe=v1
log() { echo "test-images: $*" >&2; }
has_image() { docker image inspect "$1" >/dev/null 2>&1; }

# 1. The engine. CI runs as root; start dockerd when it is not running (it keeps running after).
if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test-images: Docker is not running and this is not root, so dockerd cannot be started here" >&2
    exit 1
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    echo "test-images: dockerd was not found (./test.sh installs docker.io)" >&2
    exit 1
  fi
  daemon_log="$(mktemp /tmp/conveyor-dockerd.XXXXXX.log)"
  log "starting dockerd (log: $daemon_log)"
  setsid dockerd >"$daemon_log" 2>&1 </dev/null &
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ! docker info >/dev/null 2>&1; then
    echo "test-images: dockerd did not come up within 60 s; the end of its log ($daemon_log):" >&2
    tail -n 40 "$daemon_log" >&2 || true
    exit 1
  fi
fi

# The Debian mirror apt uses here (deb822 .sources or one-line sources.list), else Debian's own.
mirror() {
  local m
  m="$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -n 1 || true)"
  [ -z "$m" ] && m="$(grep -hsE '^deb +(\[[^]]*\] +)?https?://' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | grep -E ' bookworm( |$)' | sed -E 's/^deb +(\[[^]]*\] +)?//' | awk '{print $1}' | head -n 1 || true)"
  echo "${m:-http://deb.debian.org/debian}"
}

# 2. The Debian base.
base="conveyor-test/bookworm:minbase-$recipe"
if ! has_image "$base"; then
  command -v debootstrap >/dev/null 2>&1 || { echo "test-images: debootstrap was not found (./test.sh installs it)" >&2; exit 1; }
  root_dir="$(mktemp -d /tmp/conveyor-bookworm.XXXXXX)"
  trap 'rm -rf "$root_dir"' EXIT
  log "debootstrap bookworm from $(mirror) (once; about 25 s)"
  debootstrap --variant=minbase bookworm "$root_dir" "$(mirror)" >"$root_dir.log" 2>&1 \
    || { tail -n 30 "$root_dir.log" >&2; exit 1; }
  rm -f "$root_dir.log"
  tar -C "$root_dir" -c . | docker import - "$base" >/dev/null
  rm -rf "$root_dir"
  trap - EXIT
fi

# Builds an image from a Dockerfile on stdin of this script's caller and files of this machine,
# sent as one tar stream (no copies): build TAG DOCKERFILE_TEXT [-C DIR FILE...]...
build() {
  local tag="$1" text="$2"; shift 2
  local ctx; ctx="$(mktemp -d)"
  printf '%s\n' "$text" >"$ctx/Dockerfile"
  log "building $tag (once)"
  if ! tar -c -C "$ctx" Dockerfile "$@" | docker build --network host -q -t "$tag" - >"$ctx/build.log" 2>&1; then
    cat "$ctx/build.log" >&2; rm -rf "$ctx"; exit 1
  fi
  rm -rf "$ctx"
}

runtime_version="$(ls "$dotnet_root/shared/Microsoft.NETCore.App" | sort -V | tail -n 1)"
sdk_version="$(ls "$dotnet_root/sdk" | sort -V | tail -n 1)"

# 3. The runtime image (what mcr.microsoft.com/dotnet/aspnet gives users).
runtime="conveyor-test/dotnet-runtime:$runtime_version-$recipe"
if ! has_image "$runtime"; then
  build "$runtime" "FROM $base
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libicu72 libssl3 ca-certificates tzdata >/dev/null && rm -rf /var/lib/apt/lists/*
COPY dotnet /usr/share/dotnet/dotnet
COPY host /usr/share/dotnet/host
COPY shared /usr/share/dotnet/shared
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_RUNNING_IN_CONTAINER=true" -C "$dotnet_root" dotnet host shared
fi

# 4. The SDK image (what mcr.microsoft.com/dotnet/sdk gives users).
sdk="conveyor-test/dotnet-sdk:$sdk_version-$recipe"
if ! has_image "$sdk"; then
  revocation=""
  [ -n "${NUGET_CERT_REVOCATION_MODE:-}" ] && revocation="ENV NUGET_CERT_REVOCATION_MODE=$NUGET_CERT_REVOCATION_MODE"
  build "$sdk" "FROM $runtime
COPY sdk /usr/share/dotnet/sdk
COPY sdk-manifests /usr/share/dotnet/sdk-manifests
COPY packs /usr/share/dotnet/packs
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
$revocation" -C "$dotnet_root" sdk sdk-manifests packs -C /etc/ssl/certs ca-certificates.crt
fi

# 5. Redis from Debian, kept on loopback.
redis="conveyor-test/redis:$recipe"
if ! has_image "$redis"; then
  build "$redis" "FROM $base
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null \
 && rm -rf /var/lib/apt/lists/* && mkdir -p /data && chown redis:redis /data \
 && printf '#!/bin/sh\nexec \"\$@\" --port \"\${CT_REDIS_PORT:?}\" --bind 127.0.0.1\n' >/usr/local/bin/loopback-redis \
 && chmod +x /usr/local/bin/loopback-redis
WORKDIR /data
USER redis
ENTRYPOINT [\"/usr/local/bin/loopback-redis\"]
CMD [\"redis-server\"]"
fi

echo "CT_SDK_IMAGE=$sdk"
echo "CT_RUNTIME_IMAGE=$runtime"
echo "CT_REDIS_IMAGE=$redis"
