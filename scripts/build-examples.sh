#!/usr/bin/env bash
# Builds every project under examples/ the way a consumer builds it: the library packed once with
# `npm pack`, then, for each example, in a copy of its own: `npm ci` from the example's lockfile,
# the packed library installed beside it, a type check, `cdk8s synth` with the library's
# validation plugin declared in the example's cdk8s.yaml, and the library's ManifestValidator run
# once more over dist/. Prints one line per example and a summary; fails on the first error.
#
# Usage: scripts/build-examples.sh [example ...]   (default: every folder of examples/)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

export CDK8S_CHECK_UPGRADE=false npm_config_update_notifier=false npm_config_audit=false npm_config_fund=false

work=$(mktemp -d "${TMPDIR:-/tmp}/build-examples.XXXXXX")
trap 'rm -rf "$work"' EXIT

now_ms() { date +%s%3N; }
seconds_since() { local ms=$(( $(now_ms) - $1 )); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
# Runs a command quietly, into a log; on failure prints the log's end and stops.
quietly() {
  local log=$1; shift
  if ! "$@" >"$log" 2>&1; then
    echo "FAILED: $*" >&2
    tail -n 60 "$log" >&2
    exit 1
  fi
}

# The installed tree a lockfile pins: every package entry but the root, whose name differs per example.
lockfile_tree() {
  node -e '
    const { packages } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const { "": root, ...tree } = packages;
    console.log(require("crypto").createHash("sha256").update(JSON.stringify(tree)).digest("hex").slice(0, 16));
  ' "$1"
}

started=$(now_ms)

# Pack once, from a copy of the sources: `prepack` builds the library, and the working tree must
# not gain compiled files or be raced by other builds. node_modules is linked, not copied.
source_copy="$work/library"
mkdir -p "$source_copy"
tar -C "$root" --exclude=./node_modules --exclude=./.git --exclude=./examples --exclude=./build \
  --exclude=./dist --exclude=./cluster --exclude=./bootstrap --exclude=./reports --exclude=./coverage -cf - . \
  | tar -C "$source_copy" -xf -
ln -s "$root/node_modules" "$source_copy/node_modules"
(cd "$source_copy" && quietly "$work/pack.log" npm pack --pack-destination "$work")
tarball=$(ls "$work"/*.tgz)
echo "packed $(basename "$tarball") in $(seconds_since "$started") s"

if [ $# -gt 0 ]; then examples=("$@"); else examples=(); for dir in examples/*/; do examples+=("$(basename "$dir")"); done; fi

total_objects=0
for name in "${examples[@]}"; do
  example_started=$(now_ms)
  project="$work/$name"
  mkdir -p "$project"
  # The project as committed: whatever a local run left in it (node_modules, dist/) stays behind.
  tar -C "examples/$name" --exclude=./node_modules --exclude=./dist --exclude=./cluster --exclude=./bootstrap -cf - . \
    | tar -C "$project" -xf -
  cd "$project"
  # Examples whose lockfiles pin the same tree share one install, which the first of them makes
  # from its own lockfile: the others get a hard-linked copy of it (a real node_modules folder, as
  # after `npm ci`, in under a second instead of ten; nothing below writes into node_modules).
  tree=$(lockfile_tree package-lock.json)
  deps="$work/deps-$tree"
  if [ ! -d "$deps/node_modules" ]; then
    mkdir -p "$deps"
    cp package.json package-lock.json "$deps/"
    # Exact versions from the lockfile; --prefer-offline takes them from the one npm cache when it
    # holds them (the lockfile pins each with its integrity, so nothing can drift).
    (cd "$deps" && quietly "$work/$name-ci.log" npm ci --omit=optional --prefer-offline)
    # The library is not published yet: the packed tarball, installed the way `npm install` would.
    (cd "$deps" && quietly "$work/$name-install.log" npm install --no-save --omit=optional --prefer-offline "$tarball")
    installed="installed"
  else
    installed="reused"
  fi
  cp -al "$deps/node_modules" node_modules
  quietly "$work/$name-tsc.log" npx tsc --noEmit
  quietly "$work/$name-synth.log" npx cdk8s synth
  mapfile -t files < <(find dist -type f | sort)
  if [ ${#files[@]} -eq 0 ]; then echo "FAILED: $name: dist/ is empty" >&2; exit 1; fi
  if strays=$(printf '%s\n' "${files[@]}" | grep -v '\.k8s\.yaml$'); then
    echo "FAILED: $name: dist/ holds files that are not manifests (for construct-metadata.json: use LayeredApp, or an App with recordConstructMetadata: false):" >&2
    echo "$strays" >&2
    exit 1
  fi
  # The library's validator once more, as the consumer's own code would call it.
  objects=$(node -e '
    const { ManifestValidator } = require("cdk8s-video-analytics");
    const result = ManifestValidator.validateFiles(process.argv.slice(1));
    ManifestValidator.assertValid(result);
    console.log(result.objectCount);
  ' "${files[@]}") || { echo "FAILED: $name: ManifestValidator found violations" >&2; exit 1; }
  total_objects=$((total_objects + objects))
  cd "$root"
  rm -rf "$project"
  printf '%-22s %4d objects in %d files  %5s s  (dependencies %s)\n' "$name" "$objects" "${#files[@]}" "$(seconds_since "$example_started")" "$installed"
done

echo "${#examples[@]} examples built, synthesized and validated: $total_objects objects, 0 violations, in $(seconds_since "$started") s"
