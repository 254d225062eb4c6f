# SPDX-License-Identifier: GPL-2.0
# A pinned Debian source as a git tree with our series on top: the QEMU
# tree (vmm/qemu/tree.sh) and the libvirt tree (vmm/libvirt/tree.sh).
# Sourced, not run, after lib.sh and pin.sh. The caller sets
#
#   ST_NAME     what the tree holds, for messages ("QEMU", "libvirt")
#   ST_DIR      where its pin (base), series and patches live (vmm/qemu)
#   ST_TREE     the git tree (build/qemu)
#   ST_TAG      the tag of the pinned source's commit (qemu-base)
#   ST_EXCLUDE  the build folder inside the tree, which git ignores (/out/)
#   st_version  a function: the upstream version the tree in $1 carries
#
# and runs pin_read "$ST_DIR/base" first.

ST_STAMP_SRC=$ST_TREE/.git/vsm-source
ST_STAMP_APPLIED=$ST_TREE/.git/vsm-applied
ST_GIT="git -C $ST_TREE -c user.name=vsm-rig -c user.email=vsm-rig@localhost"
ST_LOG=$(echo "$ST_NAME" | tr 'A-Z' 'a-z')

st_patches() { entries "$ST_DIR/series"; }
st_hash() {
	{
		cat "$ST_DIR/series"
		for p in $(st_patches); do cat "$ST_DIR/patches/$p"; done
	} | sha256sum | cut -c1-16
}
st_rel() { echo "${1#"$TOP"/}"; }

# Unpack the fetched source package with Debian's patches applied, as a
# git repository whose first commit is the pinned source.
st_extract() {
	local dsc tmp t0
	dsc=$(pin_src_dsc)
	[ -f "$dsc" ] || die "no $(st_rel "$dsc"): 'make deps-$ST_LOG' fetches the source $PIN_FILE pins"
	t0=$(date +%s.%N)
	step "extract: $PIN_PKG $PIN_VER, with Debian's patches, into $(st_rel "$ST_TREE")"
	tmp=$ST_TREE.new
	rm -rf "$tmp" "$ST_TREE"
	run_logged "$LOGS/$ST_LOG-extract.log" dpkg-source --no-check -x "$dsc" "$tmp" ||
		die "cannot unpack $(st_rel "$dsc")"
	# The packaging and quilt's state are not the project's source.
	rm -rf "$tmp/debian" "$tmp/.pc"
	git -C "$tmp" init -q
	echo "$ST_EXCLUDE" >>"$tmp/.git/info/exclude"
	git -C "$tmp" add -A -f .
	git -C "$tmp" -c user.name=vsm-rig -c user.email=vsm-rig@localhost \
		commit -q -m "Debian $PIN_PKG $PIN_VER ($ST_NAME $PIN_UP, Debian's patches applied)"
	git -C "$tmp" tag "$ST_TAG"
	mv "$tmp" "$ST_TREE"
	echo "$PIN_VER" >"$ST_STAMP_SRC"
	echo "    unpacked and committed in $(elapsed "$t0") s"
}

# Apply the series on the base tag, unless it is applied already.
st_apply() {
	local want head n=0 rel
	rel=$(st_rel "$ST_TREE")
	want=$(st_hash)
	head=$($ST_GIT rev-parse HEAD)
	if [ "$(cut -d' ' -f1 "$ST_STAMP_APPLIED" 2>/dev/null)" = "$want" ] &&
		[ "$(cut -d' ' -f2 "$ST_STAMP_APPLIED" 2>/dev/null)" = "$head" ]; then
		return 0
	fi
	$ST_GIT diff --quiet HEAD ||
		die "$rel has uncommitted changes: commit them and '$(st_rel "$ST_DIR")/tree.sh series', or 'git -C $rel checkout .'"
	if [ "$head" != "$($ST_GIT rev-parse "$ST_TAG")" ] &&
		[ "$(cut -d' ' -f2 "$ST_STAMP_APPLIED" 2>/dev/null)" != "$head" ]; then
		die "$rel has commits not in $(st_rel "$ST_DIR")/series: export them with '$(st_rel "$ST_DIR")/tree.sh series' first"
	fi
	$ST_GIT reset -q --hard "$ST_TAG"
	for p in $(st_patches); do
		[ -f "$ST_DIR/patches/$p" ] || die "$(st_rel "$ST_DIR")/series names $p, which $(st_rel "$ST_DIR")/patches lacks"
		$ST_GIT am -q --keep-cr "$ST_DIR/patches/$p" >>"$LOGS/$ST_LOG-am.log" 2>&1 || {
			$ST_GIT am --abort >/dev/null 2>&1 || true
			die "$(st_rel "$ST_DIR")/patches/$p does not apply to $PIN_PKG $PIN_VER (log: $LOGS/$ST_LOG-am.log)"
		}
		n=$((n + 1))
	done
	echo "$want $($ST_GIT rev-parse HEAD)" >"$ST_STAMP_APPLIED"
	echo "    $ST_NAME series: $n patches applied"
}

# Unpack if needed (no tree, or one of another version), apply the series.
st_prepare() {
	local verdict
	verdict=$(pin_tree "$ST_TREE" "$ST_STAMP_SRC" "$ST_STAMP_APPLIED" st_version) || exit 1
	if [ "$verdict" = extract ]; then
		st_extract
		# The new tree carries the pin's upstream version, or stops here.
		pin_tree "$ST_TREE" "$ST_STAMP_SRC" "$ST_STAMP_APPLIED" st_version >/dev/null || exit 1
	fi
	echo "    $ST_NAME source: Debian $PIN_PKG $PIN_VER, $ST_NAME $(st_version "$ST_TREE")"
	st_apply
}

# Export the tree's commits since the base tag as patches + series.
st_series() {
	local n
	[ -d "$ST_TREE/.git" ] || die "no $ST_NAME tree at $(st_rel "$ST_TREE")"
	$ST_GIT diff --quiet HEAD || die "$(st_rel "$ST_TREE") has uncommitted changes: commit them first"
	rm -rf "$ST_DIR/patches"
	mkdir -p "$ST_DIR/patches"
	$ST_GIT format-patch -q --no-signature --zero-commit -N -o "$ST_DIR/patches" "$ST_TAG..HEAD"
	n=$(find "$ST_DIR/patches" -name '*.patch' | wc -l)
	{
		sed -n '1,/^# Empty until/p' "$ST_DIR/series" | grep '^#'
		(cd "$ST_DIR/patches" && ls -- *.patch 2>/dev/null || true)
	} >"$ST_DIR/series.new"
	mv "$ST_DIR/series.new" "$ST_DIR/series"
	[ "$n" -gt 0 ] || rmdir "$ST_DIR/patches"
	echo "$(st_hash) $($ST_GIT rev-parse HEAD)" >"$ST_STAMP_APPLIED"
	echo "exported $n patches to $(st_rel "$ST_DIR")/patches, order in $(st_rel "$ST_DIR")/series"
}
