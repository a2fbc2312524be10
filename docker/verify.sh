#!/usr/bin/env bash
# Builds the broker image from this repository with buildah and checks that it runs: `broker start` without a secret
# refuses with exit 2; with a mounted secret file the debugger port answers /json/version from the host and refuses
# /json/list without a token (401); a whole debugging session goes through it (docker/verify-session.mjs: a proxy in
# the local Lambda connects, chrome-remote-interface attaches, the invocation pauses, resumes and returns); SIGTERM
# stops the broker cleanly.
#
# Works without a Docker engine or an image registry: the base (Debian bookworm from debootstrap plus this machine's
# Node.js and npm) is made locally once and cached. Needs root, buildah, debootstrap, curl, flock, and network access
# to a Debian mirror and to the npm registry (the image build runs `npm ci`). The session runs on this machine from
# the repository's build: `npm ci && npm run build && npm run provision` first.
#
#   sudo docker/verify.sh            # exit 0: image verified; non-zero: the first failure, with what to do
#
# Environment:
#   LAMBDA_DEBUG_IMAGE_CACHE_DIR  where the base and buildah's storage live, kept between runs (default
#                            ${LAMBDA_DEBUG_CACHE_DIR:-~/.cache/lambda-debug}/docker-base). Delete it to start over;
#                            point it at an empty folder to check a cold run (the session still finds the runtimes
#                            `npm run provision` installed under LAMBDA_DEBUG_CACHE_DIR).
#   DEBIAN_MIRROR            Debian mirror for debootstrap (default http://deb.debian.org/debian)
#   KEEP_IMAGE=1             keep the built image (tag printed at the end) instead of removing it
#
# Not part of `npm test`: a first run downloads a Debian base and every npm dependency, and takes minutes.
set -euo pipefail

readonly DEBIAN_SUITE=bookworm
readonly DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Bump when the base recipe below changes, so cached bases made by an older recipe are not reused.
readonly BASE_RECIPE_REVISION=2
# Time limits, in seconds, for each step that can hang on the network or on a broken image.
readonly DEBOOTSTRAP_TIMEOUT_S=900
readonly BUILD_TIMEOUT_S=1200
readonly RUN_REFUSAL_TIMEOUT_S=60
readonly BROKER_READY_TIMEOUT_S=60
readonly BROKER_STOP_TIMEOUT_S=15
readonly HTTP_TIMEOUT_S=5
readonly SESSION_TIMEOUT_S=180
# The image's ENTRYPOINT ends in `broker start`; these flags keep the test broker on loopback and free ports
# (chroot isolation shares the host's network, where 8080 or 9229 may already be taken).
readonly BROKER_TEST_ARGS=(--host 127.0.0.1 --lambda-port 0 --debugger-port 0 --json)

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_dir=${LAMBDA_DEBUG_IMAGE_CACHE_DIR:-${LAMBDA_DEBUG_CACHE_DIR:-$HOME/.cache/lambda-debug}/docker-base}
run_id="lambda-debug-verify-$$"
image="localhost/lambda-debug-broker:verify-$$"
work_dir=""
broker_pid=""
step="starting"

log() { printf 'verify: %s\n' "$*" >&2; }
fail() {
  printf 'verify: FAILED while %s: %s\n' "$step" "$1" >&2
  [[ $# -gt 1 ]] && printf 'verify: what to do: %s\n' "$2" >&2
  exit 1
}
elapsed_since() { echo $(($(date +%s) - $1)); }

# Our own buildah storage under the cache folder: nothing else on the machine is touched, and the base stays cached.
bah() { buildah --root "$cache_dir/storage" --runroot "$cache_dir/run" --storage-driver vfs "$@"; }

cleanup() {
  local status=$?
  set +e
  if [[ -n $broker_pid ]] && kill -0 "$broker_pid" 2>/dev/null; then
    # The broker runs in its own process group (setsid), so this ends exactly what this script started.
    kill -TERM -- "-$broker_pid" 2>/dev/null
    for _ in $(seq $((BROKER_STOP_TIMEOUT_S * 5))); do kill -0 "$broker_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$broker_pid" 2>/dev/null
  fi
  if command -v buildah >/dev/null; then
    for name in "$run_id-base" "$run_id-base-check" "$run_id-size" "$run_id-refusal" "$run_id-broker"; do
      bah rm "$name" >/dev/null 2>&1
    done
    if [[ ${KEEP_IMAGE:-} != 1 ]]; then bah rmi "$image" >/dev/null 2>&1; fi
  fi
  [[ -n $work_dir ]] && rm -rf "$work_dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# A command that fails outside the checks below must still say what failed, never end the run in silence.
trap 'fail "\`$BASH_COMMAND\` failed (line $LINENO of $0)"' ERR

step="checking prerequisites"
[[ $(id -u) == 0 ]] || fail "must run as root (debootstrap and buildah's chroot isolation need it)" "run: sudo $0"
for tool in buildah debootstrap curl flock setsid timeout node npm; do
  command -v "$tool" >/dev/null || fail "'$tool' is not installed" \
    "apt-get install -y buildah debootstrap curl util-linux coreutils (Node.js 20 with npm must be on PATH)"
done
node_bin=$(readlink -f "$(command -v node)")
npm_dir="$(npm root -g)/npm"
[[ -f $npm_dir/bin/npm-cli.js ]] || fail "npm's package folder was not found at $npm_dir" "install npm globally"
node_version=$(node -p 'process.versions.node')
npm_version=$(node -p "require('$npm_dir/package.json').version")
[[ ${node_version%%.*} -ge 20 ]] || fail "Node.js $node_version is too old for the base" "put Node.js 20 or newer on PATH"
# The session needs the repository's build and a provisioned runtime: say so now, not after a build of minutes.
session_check=$(node "$repo_root/docker/verify-session.mjs" --check 2>&1) ||
  fail "the debugging session cannot run here: ${session_check#verify-session: }"
mkdir -p "$cache_dir"
work_dir=$(mktemp -d "$cache_dir/verify.XXXXXX")
# Where TLS to the npm registry is intercepted (a corporate or sandbox proxy), the host trusts an extra CA through
# NODE_EXTRA_CA_CERTS or npm's cafile; the base carries the same bundle so `npm ci` in the build trusts it too.
host_ca_bundle=${NODE_EXTRA_CA_CERTS:-$(npm config get cafile 2>/dev/null || true)}
[[ $host_ca_bundle == /* && -r $host_ca_bundle ]] || host_ca_bundle=""
ca_tag=none
[[ -n $host_ca_bundle ]] && ca_tag=$(sha256sum "$host_ca_bundle" | cut -c 1-12)
base_image="localhost/lambda-debug-base:$DEBIAN_SUITE-node$node_version-npm$npm_version-ca$ca_tag-r$BASE_RECIPE_REVISION"

build_base() {
  local tree="$work_dir/rootfs" container mount started
  started=$(date +%s)
  log "making the base $base_image (debootstrap $DEBIAN_SUITE from $DEBIAN_MIRROR; once, then cached)"
  timeout "$DEBOOTSTRAP_TIMEOUT_S" debootstrap --variant=minbase "$DEBIAN_SUITE" "$tree" "$DEBIAN_MIRROR" \
    >"$work_dir/debootstrap.log" 2>&1 ||
    fail "debootstrap failed (log: tail of $work_dir/debootstrap.log below)
$(tail -n 20 "$work_dir/debootstrap.log")" "check that $DEBIAN_MIRROR is reachable, or set DEBIAN_MIRROR"
  # Laid out like the official node image: the binary in /usr/local/bin, npm beside it.
  install -D -m 0755 "$node_bin" "$tree/usr/local/bin/node"
  mkdir -p "$tree/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$tree/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$tree/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$tree/usr/local/bin/npx"
  # Package lists, downloaded .debs and device nodes have no place in an image (the runtime provides /dev).
  rm -rf "$tree"/var/lib/apt/lists/* "$tree"/var/cache/apt/archives/*.deb "$tree"/dev/*
  local ca_env=()
  if [[ -n $host_ca_bundle ]]; then
    install -D -m 0644 "$host_ca_bundle" "$tree/usr/local/share/lambda-debug/host-ca.crt"
    ca_env=(--env NODE_EXTRA_CA_CERTS=/usr/local/share/lambda-debug/host-ca.crt
      --env NPM_CONFIG_CAFILE=/usr/local/share/lambda-debug/host-ca.crt)
  fi
  container=$(bah from --name "$run_id-base" scratch)
  mount=$(bah mount "$container")
  cp -a "$tree/." "$mount/"
  bah umount "$container" >/dev/null
  bah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$node_version" "${ca_env[@]}" --cmd node "$container"
  bah commit --quiet --rm "$container" "$base_image" >/dev/null
  rm -rf "$tree"
  log "base ready in $(elapsed_since "$started") s"
}

step="preparing the base image"
# One base build at a time: a second run waits for the first and then reuses its result.
exec 9>"$cache_dir/base.lock"
flock 9
if bah inspect --type image "$base_image" >/dev/null 2>&1; then
  log "using the cached base $base_image"
else
  build_base
  # Bases made for an older Node.js, npm, CA bundle or recipe are never used again.
  # `images --json` and its `names` are the same in buildah 1.28 (Debian 12) and current releases; `--format` fields
  # are not (1.28 has no `.Repository`).
  stale_bases=$(bah images --json | node -e 'let text = ""; process.stdin.on("data", (c) => (text += c)).on("end", () => {
      for (const image of JSON.parse(text)) for (const name of image.names ?? [])
        if (name.startsWith("localhost/lambda-debug-base:") && name !== process.argv[1]) console.log(name); })' \
    "$base_image") || fail "buildah could not list the images in $cache_dir/storage"
  for stale in $stale_bases; do bah rmi "$stale" >/dev/null 2>&1 || true; done
fi
flock -u 9
bah from --name "$run_id-base-check" "$base_image" >/dev/null
base_node=$(bah run --isolation chroot "$run_id-base-check" -- node -p process.version) ||
  fail "Node.js does not run in the base image" "delete $cache_dir and run again"
bah rm "$run_id-base-check" >/dev/null
log "base runs Node.js $base_node"

step="building the image"
log "building $image from $repo_root (npm ci needs the npm registry)"
build_started=$(date +%s)
if ! timeout "$BUILD_TIMEOUT_S" buildah --root "$cache_dir/storage" --runroot "$cache_dir/run" --storage-driver vfs \
  bud --isolation chroot --format docker --build-arg BASE_IMAGE="$base_image" \
  -f "$repo_root/docker/Dockerfile" -t "$image" "$repo_root" >"$work_dir/build.log" 2>&1; then
  fail "the image build failed (tail of the build log below)
$(tail -n 30 "$work_dir/build.log")" "fix docker/Dockerfile or the build it runs, then run again"
fi
build_seconds=$(elapsed_since "$build_started")
# The size of the image's files as `docker images` counts it (uncompressed, MB of 10^6 bytes), measured on a mounted
# container rather than read from `images`, whose size field and rounding differ between buildah versions.
container=$(bah from --name "$run_id-size" "$image")
image_bytes=$(du --summarize --bytes "$(bah mount "$container")" | cut -f 1)
bah umount "$container" >/dev/null
bah rm "$container" >/dev/null
image_size="$((image_bytes / 1000000)) MB"
log "built in $build_seconds s, image size $image_size"

step="checking the image configuration"
bah inspect --type image "$image" >"$work_dir/image.json" || fail "buildah could not inspect $image"
# Reads one field of the image's Docker config as JSON (buildah 1.28's --format has no json function).
image_config() { node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).Docker.config;
  console.log(JSON.stringify(c[process.argv[2]] ?? null))' "$work_dir/image.json" "$1"; }
image_user=$(image_config User | tr -d '"')
[[ -n $image_user && $image_user != root && $image_user != 0 && $image_user != 0:* ]] ||
  fail "the image runs as root (User='$image_user')" "keep the USER line in docker/Dockerfile"
entrypoint_json=$(image_config Entrypoint)
healthcheck=$(image_config Healthcheck)
[[ $healthcheck == *json/version* ]] || fail "the image has no health check on /json/version" \
  "keep the HEALTHCHECK line in docker/Dockerfile (and build with --format docker: OCI images drop it)"
mapfile -t entrypoint < <(node -e 'for (const a of JSON.parse(process.argv[1])) console.log(a)' "$entrypoint_json")
[[ ${#entrypoint[@]} -gt 0 && ${entrypoint[*]} == *"broker start"* ]] ||
  fail "unexpected ENTRYPOINT $entrypoint_json" "the ENTRYPOINT must run \`lambda-debug broker start\`"
log "runs as user $image_user; entrypoint ${entrypoint[*]}"

step="checking the refusal without a secret"
container=$(bah from --name "$run_id-refusal" "$image")
refusal_status=0
timeout "$RUN_REFUSAL_TIMEOUT_S" env -u LAMBDA_DEBUG_SECRET buildah --root "$cache_dir/storage" \
  --runroot "$cache_dir/run" --storage-driver vfs run --isolation chroot "$container" -- \
  "${entrypoint[@]}" "${BROKER_TEST_ARGS[@]}" >"$work_dir/refusal.out" 2>"$work_dir/refusal.err" || refusal_status=$?
[[ $refusal_status == 2 ]] || fail "broker start without a secret exited $refusal_status instead of 2
$(cat "$work_dir/refusal.err")" "see packages/cli/src/commands/broker-start.ts"
grep -q 'needs a secret' "$work_dir/refusal.err" ||
  fail "the refusal did not say that a secret is needed: $(cat "$work_dir/refusal.err")"
log "without a secret: exit 2, \"$(head -n 1 "$work_dir/refusal.err" | cut -c 1-80)...\""
bah rm "$container" >/dev/null

step="starting the broker in the image"
container=$(bah from --name "$run_id-broker" "$image")
# The secret goes in as a mounted file, the way a Docker secret does: buildah 1.28 cannot copy an --env value from this
# environment by name, and a value on its command line would show in the process list.
secret=$(head -c 32 /dev/urandom | base64 | tr -d '=\n')
image_uid=${image_user%%:*}
# The image has no shell or `id` to look a name up with; a numeric USER is what runAsNonRoot needs anyway.
[[ $image_uid =~ ^[0-9]+$ ]] || fail "the image's USER '$image_user' is not numeric" "keep USER 10001:10001"
mkdir -m 0700 "$work_dir/secrets"
(umask 077 && printf '%s\n' "$secret" >"$work_dir/secrets/lambda-debug")
chown "$image_uid" "$work_dir/secrets" "$work_dir/secrets/lambda-debug"
setsid buildah --root "$cache_dir/storage" --runroot "$cache_dir/run" --storage-driver vfs \
  run --isolation chroot --volume "$work_dir/secrets:/run/secrets:ro" "$container" -- \
  "${entrypoint[@]}" "${BROKER_TEST_ARGS[@]}" --secret-file /run/secrets/lambda-debug \
  >"$work_dir/broker.out" 2>"$work_dir/broker.err" &
broker_pid=$!
ready_deadline=$(($(date +%s) + BROKER_READY_TIMEOUT_S))
debugger_port=""
while [[ -z $debugger_port ]]; do
  debugger_port=$(sed -n 's/.*"debuggerPort":\([0-9][0-9]*\).*/\1/p' "$work_dir/broker.out" | head -n 1)
  [[ -n $debugger_port ]] && break
  kill -0 "$broker_pid" 2>/dev/null || fail "the broker exited before listening
$(tail -n 20 "$work_dir/broker.err")"
  [[ $(date +%s) -lt $ready_deadline ]] || fail "the broker printed no ready line in $BROKER_READY_TIMEOUT_S s
$(tail -n 20 "$work_dir/broker.err")"
  sleep 0.2
done
log "broker listening: $(head -n 1 "$work_dir/broker.out")"
broker_node_pid=$(pgrep -g "$broker_pid" -x node | head -n 1) || fail "the broker's node process was not found"
broker_uid=$(awk '/^Uid:/ { print $2 }' "/proc/$broker_node_pid/status")
[[ $broker_uid == "${image_user%%:*}" ]] || fail "the broker runs as uid $broker_uid, not the image's user $image_user"

step="querying the broker from the host"
version=$(curl --silent --show-error --fail --max-time "$HTTP_TIMEOUT_S" "http://127.0.0.1:$debugger_port/json/version") ||
  fail "GET /json/version on port $debugger_port failed"
[[ $version == *'"Browser"'* && $version == *'"Protocol-Version"'* ]] ||
  fail "/json/version answered in an unexpected shape: $version"
# Sessions are listed only to a token holder: without one, the broker must refuse with 401.
list_status=$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time "$HTTP_TIMEOUT_S" \
  "http://127.0.0.1:$debugger_port/json/list") || fail "GET /json/list on port $debugger_port got no answer"
[[ $list_status == 401 ]] || fail "GET /json/list without a token answered $list_status instead of 401"
log "GET /json/version -> $version"
log "GET /json/list without a token -> $list_status"

step="debugging a Lambda invocation through the broker in the image"
lambda_port=$(sed -n 's/.*"lambdaPort":\([0-9][0-9]*\).*/\1/p' "$work_dir/broker.out" | head -n 1)
session_started=$(date +%s)
timeout "$SESSION_TIMEOUT_S" node "$repo_root/docker/verify-session.mjs" --lambda-port "$lambda_port" \
  --debugger-port "$debugger_port" --secret-file "$work_dir/secrets/lambda-debug" \
  >"$work_dir/session.out" 2>"$work_dir/session.err" ||
  fail "the session did not go through (its output, then the broker's log, below)
$(tail -n 40 "$work_dir/session.err")
$(tail -n 20 "$work_dir/broker.err")"
sed 's/^/verify: /' "$work_dir/session.err" >&2
# The broker's own account of it, in its JSON log: registered, attached, ended as completed with a debugger.
node -e 'const fs = require("fs");
  const { functionId, requestId } = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const events = fs.readFileSync(process.argv[2], "utf8").split("\n").filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l)).filter((e) => e.functionId === functionId && e.requestId === requestId);
  const ended = events.find((e) => e.message === "session ended");
  for (const message of ["session registered", "debugger attached", "session ended"])
    if (!events.some((e) => e.message === message)) throw new Error(`the broker logged no "${message}"`);
  if (ended.reason !== "completed" || ended.hadDebugger !== true)
    throw new Error(`the session ended ${ended.reason}, hadDebugger ${ended.hadDebugger}`);' \
  "$work_dir/session.out" "$work_dir/broker.err" 2>"$work_dir/session-log.err" ||
  fail "the broker's log does not show the session: $(tail -n 1 "$work_dir/session-log.err")"
log "session through the image's broker in $(elapsed_since "$session_started") s; its log shows registered, attached, completed"

step="stopping the broker"
# SIGTERM goes to the broker's own node process (found above in this script's process group): buildah answers a SIGTERM by
# killing its child outright, which would not show whether the broker stops cleanly.
kill -TERM "$broker_node_pid"
stop_deadline=$(($(date +%s) + BROKER_STOP_TIMEOUT_S))
while kill -0 "$broker_pid" 2>/dev/null; do
  [[ $(date +%s) -lt $stop_deadline ]] || fail "the broker did not stop within $BROKER_STOP_TIMEOUT_S s of SIGTERM"
  sleep 0.2
done
broker_status=0
wait "$broker_pid" || broker_status=$?
broker_pid=""
[[ $broker_status == 0 ]] && grep -q 'broker stopped' "$work_dir/broker.err" ||
  fail "the broker did not stop cleanly on SIGTERM (exit $broker_status)
$(tail -n 20 "$work_dir/broker.err")"
! grep -qF -- "$secret" "$work_dir/broker.out" "$work_dir/broker.err" || fail "the secret appeared in the broker's output"
log "broker stopped on SIGTERM (exit $broker_status)"

step="reporting"
[[ ${KEEP_IMAGE:-} == 1 ]] && log "kept the image $image (storage: $cache_dir/storage)"
log "OK: image built in $build_seconds s, size $image_size, base $base_image"
