#!/usr/bin/env bash
# Fetch the GraphiQL browser assets served by Tollgate on GET /graphql.
#
# Downloads pinned, published npm releases with `npm pack`, verifies each
# tarball against the registry's sha512 integrity value pinned below, and
# copies exactly the files the page needs (plus each package's LICENSE) into
# assets/graphiql/. Finally writes assets/graphiql/SHA256SUMS for those files.
#
# Usage:
#   scripts/fetch-graphiql.sh           # (re)fetch, verify and install
#   scripts/fetch-graphiql.sh --check   # offline: verify installed files
#                                       # against assets/graphiql/SHA256SUMS
#
# Runnable from any directory and idempotent: running it twice yields
# byte-identical files. The hand-written files in assets/graphiql/
# (index.html, init.js, init.css, README.md) are never touched.
#
# To upgrade: change a version below, take the new integrity value from
# `npm view <pkg>@<version> dist.integrity`, run this script, update README.md.
set -euo pipefail

# name | version | dist.integrity (sha512, from the npm registry)
PACKAGES=(
  "graphiql|3.9.0|sha512-rJYFlHdBbug9+YbFSwRVvgfPjCayC7wHecZkx/qB4XLuQPFQZw/yB9pmHFtOJV6RiNBBHro3u1GdocKa3YcGRA=="
  "react|18.3.1|sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ=="
  "react-dom|18.3.1|sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw=="
)

# package name | path inside the tarball | file name in assets/graphiql/
FILES=(
  "graphiql|package/graphiql.min.js|graphiql.min.js"
  "graphiql|package/graphiql.min.css|graphiql.min.css"
  "graphiql|package/LICENSE|LICENSE-graphiql"
  "react|package/umd/react.production.min.js|react.production.min.js"
  "react|package/LICENSE|LICENSE-react"
  "react-dom|package/umd/react-dom.production.min.js|react-dom.production.min.js"
  "react-dom|package/LICENSE|LICENSE-react-dom"
)

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd -P)"
DEST="$REPO_ROOT/assets/graphiql"

die() { echo "fetch-graphiql: error: $*" >&2; exit 1; }
log() { echo "fetch-graphiql: $*" >&2; }

# The managed file names, in a stable order (used for SHA256SUMS and --check).
managed_names() {
  local entry
  for entry in "${FILES[@]}"; do
    echo "${entry##*|}"
  done | LC_ALL=C sort
}

check_installed() {
  [[ -f "$DEST/SHA256SUMS" ]] || die "$DEST/SHA256SUMS is missing; run $0"
  local name
  while read -r name; do
    grep -q "  $name\$" "$DEST/SHA256SUMS" || die "SHA256SUMS has no entry for $name"
  done < <(managed_names)
  (cd "$DEST" && sha256sum --quiet --strict -c SHA256SUMS) \
    || die "files in $DEST do not match SHA256SUMS; run $0"
  log "all files in $DEST match SHA256SUMS"
}

case "${1:-}" in
  "") ;;
  --check) check_installed; exit 0 ;;
  -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument: $1 (try --help)" ;;
esac

for tool in npm tar sha256sum sha512sum base64 od; do
  command -v "$tool" >/dev/null 2>&1 || die "required tool not found: $tool"
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fetch-graphiql.XXXXXX")"
trap 'rm -rf -- "$WORK"' EXIT

# shellcheck source=lib/npm-pinned.sh
source "$SCRIPT_DIR/lib/npm-pinned.sh"

declare -A TARBALL=()
for entry in "${PACKAGES[@]}"; do
  IFS='|' read -r name version integrity <<<"$entry"
  pkgdir="$WORK/$name"
  tgz="$(npm_pack_verified "$name" "$version" "$integrity" "$pkgdir")"
  mkdir -p "$pkgdir/x"
  tar -xzf "$tgz" -C "$pkgdir/x" --no-same-owner --no-same-permissions
  # Make sure the tarball really is the version we asked for.
  grep -q "\"version\": *\"$version\"" "$pkgdir/x/package/package.json" \
    || die "$name tarball does not declare version $version"
  TARBALL[$name]="$pkgdir/x"
done

# Stage every file first, so a failure leaves assets/graphiql/ untouched.
STAGE="$WORK/stage"
mkdir -p "$STAGE"
for entry in "${FILES[@]}"; do
  IFS='|' read -r name src dst <<<"$entry"
  file="${TARBALL[$name]}/$src"
  [[ -f "$file" && ! -L "$file" ]] || die "$name tarball has no regular file $src"
  cp -- "$file" "$STAGE/$dst"
  chmod 0644 "$STAGE/$dst"
done
(cd "$STAGE" && managed_names | xargs sha256sum -- > SHA256SUMS)

mkdir -p "$DEST"
while read -r name; do
  install -m 0644 -- "$STAGE/$name" "$DEST/$name"
done < <(managed_names)
install -m 0644 -- "$STAGE/SHA256SUMS" "$DEST/SHA256SUMS"

check_installed
log "installed into $DEST:"
(cd "$DEST" && managed_names | xargs ls -l -- >&2)
