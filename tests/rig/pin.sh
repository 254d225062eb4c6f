# SPDX-License-Identifier: GPL-2.0
# Pinned Debian sources: the exact version of each Debian package the
# project builds from. Sourced, not run (lib.sh first, for die and step).
#
# A pin file (kernel/base; later the QEMU and libvirt ones) has one entry:
#
#   KIND  PACKAGE            VERSION              UPSTREAM
#   deb   linux-source-6.12  6.12.118-1~deb12u1   6.12.118
#
# KIND says how the source arrives: "deb", a binary package that ships the
# source (linux-source-*), installed at exactly VERSION; "src", a Debian
# source package (qemu, libvirt) that `apt-get source` fetches at exactly
# VERSION into build/src/PACKAGE, from deb-src entries that pin_debsrc
# writes when apt has none. UPSTREAM is the version the source itself
# carries (the kernel's `make kernelversion`, QEMU's VERSION file).
# Pinning another source is one more pin file and its name in deps.sh.

# Debian version: [epoch:]upstream[-revision]; upstream starts with a digit.
PIN_DEB_RE='^([0-9]+:)?[0-9][A-Za-z0-9.+~-]*$'
PIN_UP_RE='^[0-9][A-Za-z0-9.+~-]*$'

# pin_read FILE: set PIN_FILE PIN_KIND PIN_PKG PIN_VER PIN_UP from FILE,
# or die with one line naming the problem.
pin_read() {
	local f=$1 rel lines n
	rel=${f#"$TOP"/}
	PIN_FILE=$rel
	[ -f "$f" ] || die "$rel is missing: it pins the Debian source we build from (git checkout $rel restores it)"
	lines=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$f")
	n=$(printf '%s' "$lines" | grep -c '' || true)
	[ "$n" = 1 ] || die "$rel: expected one entry 'KIND PACKAGE VERSION UPSTREAM', found $n"
	# shellcheck disable=SC2086
	set -- $lines
	[ $# = 4 ] || die "$rel: expected 'KIND PACKAGE VERSION UPSTREAM', got '$lines'"
	case $1 in
	deb | src) ;;
	*) die "$rel: unknown KIND '$1' (known: deb, src)" ;;
	esac
	printf '%s' "$2" | grep -Eq '^[a-z0-9][a-z0-9.+-]+$' ||
		die "$rel: '$2' is not a Debian package name"
	printf '%s' "$3" | grep -Eq "$PIN_DEB_RE" ||
		die "$rel: '$3' is not a Debian version (like 6.12.118-1~deb12u1)"
	printf '%s' "$4" | grep -Eq "$PIN_UP_RE" ||
		die "$rel: '$4' is not an upstream version (like 6.12.118)"
	PIN_KIND=$1 PIN_PKG=$2 PIN_VER=$3 PIN_UP=$4
}

# pin_installed PACKAGE: its installed version, or nothing.
pin_installed() {
	dpkg-query -W -f='${db:Status-Status} ${Version}\n' "$1" 2>/dev/null |
		awk '$1 == "installed" { print $2 }'
}

# pin_archive PACKAGE: the versions apt can install, one a line.
pin_archive() {
	apt-cache madison "$1" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' |
		sort -u
}

# pin_src_archive PACKAGE: the versions of source package PACKAGE that
# apt-get source can fetch, one a line.
pin_src_archive() {
	apt-cache showsrc "$1" 2>/dev/null |
		awk -v p="$1" '/^Package:/ { ours = ($2 == p) } ours && /^Version:/ { print $2 }' |
		sort -u
}

# pin_versions: what apt offers of the pin read last, by its KIND.
pin_versions() {
	if [ "$PIN_KIND" = src ]; then pin_src_archive "$PIN_PKG"; else pin_archive "$PIN_PKG"; fi
}

# pin_offered PACKAGE VERSION: whether apt offers exactly VERSION (of the
# kind of the pin read last).
pin_offered() {
	pin_versions | grep -qxF "$2"
}

# pin_need PACKAGE VERSION WHAT: die with one line unless apt can install
# exactly VERSION; apt's lists are refreshed once if they lack it.
pin_need() {
	local offered
	pin_offered "$1" "$2" && return 0
	pin_apt "$1 $2" update
	pin_offered "$1" "$2" && return 0
	offered=$(pin_versions | tr '\n' ' ')
	die "$1 $2 $3 is not in the apt archive${offered:+, which offers ${offered% }}: pin one of those as Documentation/rig.rst, 'Moving a pinned base', says"
}

# pin_ensure FILE: make the pinned version the installed one, upgrading or
# downgrading as needed. apt's lists are refreshed once if they lack it.
pin_ensure() {
	local have
	pin_read "$1"
	if [ "$PIN_KIND" = src ]; then
		pin_src_ensure
		return 0
	fi
	have=$(pin_installed "$PIN_PKG")
	[ "$have" = "$PIN_VER" ] && return 0
	pin_need "$PIN_PKG" "$PIN_VER" "(pinned in $PIN_FILE)"
	step "apt: $PIN_PKG ${have:-(none)} -> $PIN_VER, as $PIN_FILE pins"
	pin_apt "$PIN_FILE" install -y --allow-downgrades --no-install-recommends \
		"$PIN_PKG=$PIN_VER"
	have=$(pin_installed "$PIN_PKG")
	[ "$have" = "$PIN_VER" ] ||
		die "$PIN_PKG is ${have:-not installed} after installing $PIN_VER (pinned in $PIN_FILE)"
}

# pin_src_dir, pin_src_dsc: where the source of the pin read last is
# fetched, and its .dsc (whose name has no epoch).
pin_src_dir() { echo "$BUILD/src/$PIN_PKG"; }
pin_src_dsc() { echo "$(pin_src_dir)/${PIN_PKG}_${PIN_VER#*:}.dsc"; }

# pin_src_ensure: fetch the pinned source package (pin read last) unless
# its .dsc is already there; `apt-get source` checks the files against
# the archive's signed checksums.
pin_src_ensure() {
	local dir dsc
	dir=$(pin_src_dir)
	dsc=$(pin_src_dsc)
	[ -f "$dsc" ] && return 0
	pin_debsrc "$PIN_FILE"
	pin_need "$PIN_PKG" "$PIN_VER" "(pinned in $PIN_FILE)"
	step "apt: fetching the source of $PIN_PKG $PIN_VER, as $PIN_FILE pins"
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$dir" && pin_apt "$PIN_FILE" source --download-only "$PIN_PKG=$PIN_VER")
	[ -f "$dsc" ] ||
		die "$PIN_FILE: 'apt-get source $PIN_PKG=$PIN_VER' left no ${dsc#"$TOP"/}"
}

# pin_debsrc WHO: make sure apt has deb-src entries, so that `apt-get
# source` works: where it has none, mirror each deb entry of the system's
# sources as deb-src, in a file of the rig's own, and update apt's lists.
APT_SOURCES_D=${APT_SOURCES_D:-/etc/apt/sources.list.d}
APT_SOURCES_LIST=${APT_SOURCES_LIST:-/etc/apt/sources.list}
pin_debsrc() {
	local who=$1 f=$APT_SOURCES_D/vsm-rig-deb-src
	apt-get indextargets --format '$(IDENTIFIER)' 2>/dev/null | grep -qx Sources &&
		return 0
	[ "$(id -u)" = 0 ] || die "$who: apt has no deb-src entries for 'apt-get source'; run as root, or add them yourself"
	step "apt: adding deb-src entries for apt-get source (${f#/}.*)"
	# deb822 stanzas whose Types name deb, as deb-src; one-line entries too.
	cat "$APT_SOURCES_D"/*.sources 2>/dev/null |
		awk 'BEGIN { RS = ""; ORS = "\n\n" }
		     /(^|\n)Types:[^\n]*[[:space:]]deb([[:space:]]|$|\n)/ {
			sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print }' \
		>"$f.sources.new"
	cat "$APT_SOURCES_LIST" "$APT_SOURCES_D"/*.list 2>/dev/null |
		sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' >"$f.list.new"
	[ -s "$f.sources.new" ] || [ -s "$f.list.new" ] ||
		{ rm -f "$f.sources.new" "$f.list.new"; die "$who: apt has no deb entries to mirror as deb-src"; }
	for x in sources list; do
		if [ -s "$f.$x.new" ]; then
			{ echo "# Written by the VSM rig (tests/rig/pin.sh) for apt-get source."; cat "$f.$x.new"; } >"$f.$x"
		fi
		rm -f "$f.$x.new"
	done
	pin_apt "$who" update
}

# pin_apt WHO ARGS...: apt-get ARGS, logged, one line on failure.
pin_apt() {
	local who=$1 log
	shift
	command -v apt-get >/dev/null || die "$who: no apt-get to run 'apt-get $*'"
	[ "$(id -u)" = 0 ] || die "$who: run as root, or run 'apt-get $*' yourself"
	log=$LOGS/apt-$1.log
	DEBIAN_FRONTEND=noninteractive apt-get "$@" >"$log" 2>&1 ||
		die "$who: 'apt-get $*' failed, see $log"
}

# pin_news FILE: one line if apt offers a newer version than the pin.
pin_news() {
	local newest
	pin_read "$1"
	newest=$(pin_versions | while read -r v; do
		dpkg --compare-versions "$v" gt "$PIN_VER" && echo "$v"
	done | sort -V | tail -n 1)
	[ -z "$newest" ] ||
		echo "note: Debian offers $PIN_PKG $newest, newer than $PIN_VER pinned in $PIN_FILE (Documentation/rig.rst, 'Moving a pinned base')"
}

# pin_tree TREE STAMP APPLIED VERSION_CMD: what to do with the source tree
# TREE, extracted from the version named in the file STAMP, with the
# series applied up to the commit in the file APPLIED (second field).
# Prints "extract" (no tree, or a clean one of another version: prepare
# it again) or "ok"; dies with one line if the tree holds work of its own
# on another version, or if "VERSION_CMD TREE" (the upstream version the
# tree carries) differs from the pin's. The caller has run pin_read.
pin_tree() {
	local tree=$1 stamp=$2 applied=$3 vcmd=$4 rel have head ahead
	rel=${tree#"$TOP"/}
	[ -d "$tree/.git" ] || { echo extract; return 0; }
	have=$(cat "$stamp" 2>/dev/null || true)
	if [ "$have" != "$PIN_VER" ]; then
		head=$(git -C "$tree" rev-parse -q --verify HEAD 2>/dev/null || true)
		ahead=$(cut -d' ' -f2 "$applied" 2>/dev/null || true)
		if [ -n "$head" ] && { ! git -C "$tree" diff --quiet HEAD 2>/dev/null ||
			{ [ -n "$ahead" ] && [ "$ahead" != "$head" ]; }; }; then
			die "$rel is $PIN_PKG ${have:-of an unknown version} with work not in the series, but $PIN_FILE pins $PIN_VER: keep the work with 'make series' under the old pin, or drop it with 'rm -rf $rel'"
		fi
		echo extract
		return 0
	fi
	have=$("$vcmd" "$tree")
	[ "$have" = "$PIN_UP" ] ||
		die "$rel carries ${have:-an unknown version}, but $PIN_FILE says $PIN_PKG $PIN_VER carries $PIN_UP: correct the pin's UPSTREAM field, or 'rm -rf $rel' if the tree is damaged"
	echo ok
}

# pin_write FILE VERSION UPSTREAM: move the pin in FILE to VERSION, which
# carries UPSTREAM; comments stay. Reads the moved pin back (pin_read).
pin_write() {
	pin_read "$1"
	awk -v v="$2" -v u="$3" '/^[[:space:]]*(#|$)/ { print; next }
		{ printf "%-8s%-19s%-21s%s\n", $1, $2, v, u }' "$1" >"$1.new" &&
		mv "$1.new" "$1"
	pin_read "$1"
}
