# Sourced by the fetch-* scripts: download one npm package at a pinned version
# and verify it against its pinned registry integrity (sha512 SRI), before
# anything is taken from it. Needs `die` and `log` from the caller.

# The hex digest of a `sha512-<base64>` integrity value.
sri_to_hex() {
  local sri="$1"
  [[ "$sri" == sha512-* ]] || die "unsupported integrity value: $sri"
  printf '%s' "${sri#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n'
}

# npm_pack_verified NAME VERSION INTEGRITY DIR: packs NAME@VERSION into DIR,
# checks its integrity and prints the tarball's path.
npm_pack_verified() {
  local name="$1" version="$2" integrity="$3" dir="$4"
  mkdir -p "$dir"
  log "downloading $name@$version"
  # --pack-destination keeps the tarball out of the caller's cwd.
  ( cd "$dir" && npm pack "$name@$version" --pack-destination "$dir" \
      --silent --ignore-scripts --no-fund --no-audit >/dev/null ) \
    || die "npm pack $name@$version failed"
  local tgz
  shopt -s nullglob
  tgz=("$dir"/*.tgz)
  shopt -u nullglob
  [[ ${#tgz[@]} -eq 1 ]] || die "expected exactly one tarball for $name@$version"
  local want got
  want="$(sri_to_hex "$integrity")"
  got="$(sha512sum "${tgz[0]}" | cut -d' ' -f1)"
  [[ ${#want} -eq 128 && "$got" == "$want" ]] \
    || die "integrity mismatch for $name@$version: want $integrity"
  log "verified $name@$version ($integrity)"
  printf '%s\n' "${tgz[0]}"
}
