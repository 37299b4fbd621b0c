#!/usr/bin/env bash
# Container smoke test for the inference image, for CI machines without an image registry.
#
# Run as root on Debian 12 (bookworm):  bash .ci/container-smoke.sh
#   1. installs docker.io, debootstrap and curl if missing (apt-get)
#   2. starts dockerd in the background unless a daemon already answers (log: $WORK/dockerd.log)
#   3. builds a Python base image from Debian packages (debootstrap minbase + python3, taken
#      from the mirror apt already uses) and `docker import`s it as kubelab/python-base:bookworm;
#      the rootfs tarball is cached in /var/cache/kubelab for reruns
#   4. builds kubelab/inference:2.4.0 and :2.5.0 from inference/Dockerfile on that base
#   5. checks: no MODEL_PATH -> exit 1 with the FATAL line; 2.4.0 runs as uid 10001, /health
#      200, /ready 200, POST /predict 200 with the right class, SIGTERM -> exit 0;
#      2.5.0 /health 200 but /ready still 503 after a few seconds, log says why
#   6. removes the containers and stops the dockerd it started (trap on exit)
#
# Environment: KUBELAB_DEBIAN_MIRROR (override the mirror), KUBELAB_REBUILD_BASE=1 (ignore
# the cached rootfs), KUBELAB_SMOKE_WORK (scratch folder, default a fresh mktemp -d),
# KUBELAB_SMOKE_NETWORK=host (skip trying -p publishing; use --network host -e PORT=...).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUITE=bookworm
BASE_IMAGE=kubelab/python-base:bookworm
CACHE_DIR=/var/cache/kubelab
BASE_TAR="$CACHE_DIR/python-base-$SUITE-minbase.tar"
WORK="${KUBELAB_SMOKE_WORK:-$(mktemp -d /tmp/kubelab-smoke.XXXXXX)}"
KEEP_WORK="${KUBELAB_SMOKE_WORK:+yes}" # a scratch folder we made is removed after a pass
VERSIONS=(2.4.0 2.5.0)
CONTAINERS=()
DOCKERD_PID=""
NETWORK_MODE="${KUBELAB_SMOKE_NETWORK:-publish}" # "host" if -p publishing does not work here

say() { printf '[container-smoke %3ds] %s\n' "$SECONDS" "$*"; }
die() {
  say "FAILED: $*"
  exit 1
}

cleanup() {
  local rc=$?
  set +e
  for c in "${CONTAINERS[@]}"; do
    if [ "$rc" -ne 0 ]; then
      say "last log lines of $c:"
      "$DOCKER" logs --tail 20 "$c" 2>&1 | sed 's/^/    /'
    fi
    "$DOCKER" rm -f "$c" >/dev/null 2>&1
  done
  if [ -n "$DOCKERD_PID" ]; then
    say "stopping dockerd (pid $DOCKERD_PID)"
    kill "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 1 40); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$DOCKERD_PID" 2>/dev/null; then
      say "dockerd did not stop in 20 s; killing it"
      kill -9 "$DOCKERD_PID" 2>/dev/null
    fi
    if [ "$rc" -ne 0 ]; then
      say "last dockerd log lines ($WORK/dockerd.log):"
      tail -n 15 "$WORK/dockerd.log" 2>/dev/null | sed 's/^/    /'
    fi
  fi
  rm -rf "$WORK/rootfs"
  if [ "$rc" -eq 0 ]; then
    [ -n "$KEEP_WORK" ] || rm -rf "$WORK"
    say "PASSED in ${SECONDS}s"
  else
    say "exit code $rc after ${SECONDS}s; logs in $WORK"
  fi
}

[ "$(id -u)" -eq 0 ] || die "run as root: it installs packages, starts dockerd and runs debootstrap"
mkdir -p "$WORK"
say "repo $REPO, scratch folder $WORK"

# --- 1. packages ---------------------------------------------------------------------
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v curl >/dev/null || missing+=(curl)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]} with apt-get"
  apt-get update -q >"$WORK/apt.log" 2>&1 || { tail -n 20 "$WORK/apt.log"; die "apt-get update failed"; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
    >>"$WORK/apt.log" 2>&1 || { tail -n 20 "$WORK/apt.log"; die "apt-get install failed"; }
else
  say "docker.io, debootstrap and curl already installed"
fi
# Prefer the client that ships with the daemon (docker.io), not some other docker on PATH.
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER="$(command -v docker)"
trap cleanup EXIT

# --- 2. dockerd ------------------------------------------------------------------------
if "$DOCKER" info >/dev/null 2>&1; then
  say "a Docker daemon is already running; using it (and leaving it running)"
else
  say "starting dockerd (log: $WORK/dockerd.log)"
  dockerd >"$WORK/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for i in $(seq 1 60); do
    "$DOCKER" info >/dev/null 2>&1 && break
    kill -0 "$DOCKERD_PID" 2>/dev/null || { tail -n 20 "$WORK/dockerd.log"; die "dockerd exited during startup"; }
    [ "$i" -eq 60 ] && { tail -n 20 "$WORK/dockerd.log"; die "dockerd did not answer 'docker info' within 60 s"; }
    sleep 1
  done
  say "dockerd is up ($("$DOCKER" info --format '{{.ServerVersion}}, storage {{.Driver}}'))"
fi

# --- 3. base image from Debian packages --------------------------------------------------
apt_mirror() {
  # The first "deb" source for $SUITE: deb822 files first, then the one-line format.
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" 'BEGIN { RS = ""; FS = "\n" }
      {
        uri = ""; suites = ""; types = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { v = $i; sub(/^URIs:[ \t]*/, "", v); split(v, u, /[ \t]+/); uri = u[1] }
          else if ($i ~ /^Suites:/) suites = " " $i " "
          else if ($i ~ /^Types:/) types = " " $i " "
        }
        if (uri != "" && types ~ /[ \t]deb[ \t]/ && suites ~ ("[ \t]" suite "[ \t]")) { print uri; exit }
      }' "$f"
  done
  if [ -f /etc/apt/sources.list ]; then
    awk -v suite="$SUITE" '$1 == "deb" {
        for (i = 2; i < NF; i++) if ($i ~ /^(https?|ftp):\/\// && $(i + 1) == suite) { print $i; exit }
      }' /etc/apt/sources.list
  fi
}

if [ -n "${KUBELAB_REBUILD_BASE:-}" ] || [ ! -s "$BASE_TAR" ]; then
  MIRROR="${KUBELAB_DEBIAN_MIRROR:-$(apt_mirror | sed -n 1p)}"
  MIRROR="${MIRROR:-http://deb.debian.org/debian}"
  say "debootstrap $SUITE (minbase + python3) from $MIRROR; this takes about a minute"
  rm -rf "$WORK/rootfs"
  debootstrap --variant=minbase --include=python3 "$SUITE" "$WORK/rootfs" "$MIRROR" \
    >"$WORK/debootstrap.log" 2>&1 || { tail -n 20 "$WORK/debootstrap.log"; die "debootstrap failed"; }
  # Only what a Python server needs: drop docs, manuals, translations and apt's caches.
  rm -rf "$WORK"/rootfs/usr/share/{doc,man,info,locale}/* "$WORK"/rootfs/var/cache/apt/* \
    "$WORK"/rootfs/var/lib/apt/lists/* "$WORK"/rootfs/var/log/*.log
  mkdir -p "$CACHE_DIR"
  tar -C "$WORK/rootfs" --numeric-owner -cf "$BASE_TAR.tmp" .
  mv "$BASE_TAR.tmp" "$BASE_TAR"
  rm -rf "$WORK/rootfs"
  say "rootfs cached at $BASE_TAR ($(du -h "$BASE_TAR" | cut -f1))"
else
  say "reusing cached rootfs $BASE_TAR (KUBELAB_REBUILD_BASE=1 to rebuild)"
fi
"$DOCKER" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  "$BASE_TAR" "$BASE_IMAGE" >/dev/null
say "imported $BASE_IMAGE ($("$DOCKER" run --rm "$BASE_IMAGE" python3 --version))"

# --- 4. build both versions --------------------------------------------------------------
for v in "${VERSIONS[@]}"; do
  say "docker build kubelab/inference:$v"
  "$DOCKER" build --build-arg BASE_IMAGE="$BASE_IMAGE" --build-arg VERSION="$v" \
    -t "kubelab/inference:$v" "$REPO/inference" >"$WORK/build-$v.log" 2>&1 ||
    { tail -n 30 "$WORK/build-$v.log"; die "docker build of $v failed (log $WORK/build-$v.log)"; }
done

# --- 5. run and check --------------------------------------------------------------------
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
http_code() { curl -s -o "$WORK/body" -w '%{http_code}' --max-time 5 "$@" || true; }

# start NAME IMAGE PORT [docker run args...]: run detached, published on 127.0.0.1:PORT.
start() {
  local name=$1 image=$2 port=$3
  shift 3
  "$DOCKER" rm -f "$name" >/dev/null 2>&1 || true
  CONTAINERS+=("$name")
  if [ "$NETWORK_MODE" = publish ]; then
    "$DOCKER" run -d --name "$name" -p "127.0.0.1:$port:8080" "$@" "$image" >/dev/null 2>"$WORK/run.err" &&
      wait_health "$port" && return 0
    say "publishing with -p did not work here ($(head -c 200 "$WORK/run.err"));" \
      "falling back to --network host with -e PORT=$port"
    NETWORK_MODE=host
    "$DOCKER" rm -f "$name" >/dev/null 2>&1 || true
  fi
  "$DOCKER" run -d --name "$name" --network host -e PORT="$port" "$@" "$image" >/dev/null
  wait_health "$port" || die "$name: /health never answered 200 on 127.0.0.1:$port"
}

wait_health() {
  for _ in $(seq 1 40); do
    [ "$(http_code "http://127.0.0.1:$1/health")" = 200 ] && return 0
    sleep 0.5
  done
  return 1
}

say "check: no MODEL_PATH exits 1 with a FATAL line (lesson 06's CrashLoopBackOff)"
set +e
crash_log="$("$DOCKER" run --rm --network none kubelab/inference:2.4.0 2>&1)"
crash_rc=$?
set -e
[ "$crash_rc" -eq 1 ] || die "expected exit code 1 without MODEL_PATH, got $crash_rc: $crash_log"
grep -q '^FATAL: MODEL_PATH is not set' <<<"$crash_log" || die "no FATAL line, got: $crash_log"
say "  ok: exit 1, '$crash_log'"

ENVS=(-e MODEL_PATH=models/iris-logreg.json -e STARTUP_SECONDS=1 -e MODEL_MEMORY_MB=16)

p24="$(free_port)"
say "run kubelab/inference:2.4.0 on 127.0.0.1:$p24"
start smoke-inference-2.4.0 kubelab/inference:2.4.0 "$p24" "${ENVS[@]}"
say "  ok: /health 200 (network mode: $NETWORK_MODE)"
uid="$("$DOCKER" exec smoke-inference-2.4.0 id -u)"
[ "$uid" = 10001 ] || die "2.4.0 runs as uid $uid, expected the non-root 10001"
say "  ok: runs as uid $uid"
for _ in $(seq 1 20); do [ "$(http_code "http://127.0.0.1:$p24/ready")" = 200 ] && break; sleep 0.5; done
[ "$(http_code "http://127.0.0.1:$p24/ready")" = 200 ] || die "2.4.0 /ready never became 200: $(cat "$WORK/body")"
say "  ok: /ready 200"
code="$(http_code -H 'Content-Type: application/json' \
  -d '{"instances": [[5.1, 3.5, 1.4, 0.2], [6.3, 3.3, 6.0, 2.5]]}' "http://127.0.0.1:$p24/predict")"
[ "$code" = 200 ] || die "2.4.0 POST /predict answered $code: $(cat "$WORK/body")"
grep -q '"class": "setosa".*"class": "virginica"' "$WORK/body" ||
  die "2.4.0 /predict gave unexpected classes: $(cat "$WORK/body")"
say "  ok: POST /predict 200 -> setosa, virginica"
[ "$(http_code "http://127.0.0.1:$p24/version")" = 200 ] && grep -q '"version": "2.4.0"' "$WORK/body" ||
  die "2.4.0 /version is wrong: $(cat "$WORK/body")"
say "  ok: /version $(cat "$WORK/body")"

p25="$(free_port)"
say "run kubelab/inference:2.5.0 on 127.0.0.1:$p25"
start smoke-inference-2.5.0 kubelab/inference:2.5.0 "$p25" "${ENVS[@]}"
say "  ok: /health 200"
sleep 4 # STARTUP_SECONDS=1 plus margin: a working release would be ready by now
code="$(http_code "http://127.0.0.1:$p25/ready")"
[ "$code" = 503 ] || die "2.5.0 /ready answered $code after 4 s, expected 503 (the defect)"
[ "$(http_code "http://127.0.0.1:$p25/health")" = 200 ] || die "2.5.0 /health stopped answering 200"
# Read the whole log first: `docker logs | grep -q` under pipefail fails with
# SIGPIPE whenever grep matches before docker has finished writing.
log25="$("$DOCKER" logs smoke-inference-2.5.0 2>&1)"
why="$(grep -m1 'requires model format 2' <<<"$log25" || true)"
[ -n "$why" ] || die "2.5.0 log does not say why it is not ready"
say "  ok: /ready still 503 after 4 s, /health 200, log: $why"

say "check: SIGTERM (docker stop) drains and exits 0"
"$DOCKER" stop -t 15 smoke-inference-2.4.0 >/dev/null
rc="$("$DOCKER" inspect -f '{{.State.ExitCode}}' smoke-inference-2.4.0)"
[ "$rc" = 0 ] || die "2.4.0 exited $rc after SIGTERM, expected 0"
say "  ok: exit code 0; $("$DOCKER" logs smoke-inference-2.4.0 2>&1 | tail -n 1)"
say "images: $("$DOCKER" image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'kubelab/' | tr '\n' ' ')"
