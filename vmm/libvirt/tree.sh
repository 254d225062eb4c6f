#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The libvirt tree of the rig: the Debian libvirt source that
# vmm/libvirt/base pins, unpacked with Debian's own patches applied, in a
# git repository (tag libvirt-base), with vmm/libvirt/series applied as
# commits; built with ccache into build/libvirt/build: the QEMU driver, the
# daemon, virsh and the tests that cover our series.
#
#   tree.sh prepare   unpack if needed, apply the series
#   tree.sh build     configure (again only when the options change), build,
#                     install into build/libvirt-root (for the test VM)
#   tree.sh test      run libvirt's own tests that cover the series
#   tree.sh series    export the tree's commits to vmm/libvirt/patches + series
#   tree.sh capsprobe probe our QEMU with libvirt's tests/qemucapsprobe in the
#                     test VM (KVM with VSM) and regenerate the QEMU 7.2.0
#                     capability data of the tree from it (a maintainer's
#                     step: the result is committed in the series)
set -eu
. "$(dirname "$0")/../../tests/rig/lib.sh"
. "$TOP/tests/rig/pin.sh"

ST_NAME=libvirt
ST_DIR=$TOP/vmm/libvirt
ST_TREE=${LTREE:-$BUILD/libvirt}
ST_TAG=libvirt-base
ST_EXCLUDE=/build/
st_version() { sed -n "s/^ *version: '\([^']*\)'.*/\1/p" "$1/meson.build" 2>/dev/null | head -n 1; }
pin_read "$ST_DIR/base"
. "$TOP/tests/rig/srctree.sh"
LOUT=$ST_TREE/build
LROOT=$BUILD/libvirt-root
# The capability data our QEMU (Debian's 7.2 + vmm/qemu/series) replaces.
CAPS=tests/qemucapabilitiesdata/caps_7.2.0.x86_64
# libvirt's tests that cover the series (tree.sh test, make check).
TESTS=(qemuxml2argvtest qemuxml2xmltest virschematest qemucapabilitiestest
	domaincapstest cputest qemumonitorjsontest qemuhotplugtest)

# What we need of libvirt: the QEMU driver in the monolithic libvirtd (as
# Debian 12 runs it), the remote driver and virsh, and the tests. Every
# other hypervisor driver, the network, storage-backend and security
# drivers, and the docs are off.
MESON_OPTS=(
	--prefix=/usr --sysconfdir=/etc --localstatedir=/var -Drunstatedir=/run
	--libdir=lib/x86_64-linux-gnu
	-Dbuildtype=plain -Dc_args=-O1
	-Ddriver_qemu=enabled -Ddriver_libvirtd=enabled -Ddriver_remote=enabled
	-Dremote_default_mode=legacy -Dyajl=enabled -Dqemu_user=root -Dqemu_group=root
	-Dtests=enabled -Dexpensive_tests=disabled -Ddocs=disabled
	-Ddriver_lxc=disabled -Ddriver_libxl=disabled -Ddriver_vbox=disabled
	-Ddriver_esx=disabled -Ddriver_hyperv=disabled -Ddriver_openvz=disabled
	-Ddriver_vmware=disabled -Ddriver_vz=disabled -Ddriver_bhyve=disabled
	-Ddriver_ch=disabled -Ddriver_network=disabled -Ddriver_interface=disabled
	-Ddriver_test=enabled -Ddriver_secrets=enabled
	-Dapparmor=disabled -Dselinux=disabled
	-Dsecdriver_apparmor=disabled -Dsecdriver_selinux=disabled
	-Dpolkit=disabled -Dfirewalld=disabled -Dsasl=disabled -Dlibssh=disabled
	-Dlibssh2=disabled -Dnumactl=disabled -Dnss=disabled
	-Dwireshark_dissector=disabled -Dinit_script=none -Dstorage_dir=enabled
	-Dstorage_fs=disabled -Dstorage_lvm=disabled -Dstorage_iscsi=disabled
	-Dstorage_iscsi_direct=disabled -Dstorage_mpath=disabled
	-Dstorage_disk=disabled -Dstorage_rbd=disabled
	-Dstorage_gluster=disabled -Dstorage_zfs=disabled -Dstorage_vstorage=disabled
	-Dglusterfs=disabled -Dlibiscsi=disabled -Dcurl=disabled -Daudit=disabled
	-Dcapng=disabled -Dfuse=disabled -Dlibpcap=disabled -Dlibnl=disabled
	-Dudev=disabled -Dpciaccess=disabled -Dblkid=disabled -Dattr=disabled
	-Dbash_completion=disabled -Dsanlock=disabled -Dlogin_shell=disabled
	-Dhost_validate=disabled -Dreadline=disabled -Dnetcf=disabled -Dnls=disabled
	-Ddtrace=disabled -Dnumad=disabled -Dstorage_scsi=disabled -Dopenwsman=disabled
)

build() {
	local t0 want
	[ -d "$ST_TREE/.git" ] || die "no libvirt tree at $(st_rel "$ST_TREE"): run 'vmm/libvirt/tree.sh prepare' (make libvirt)"
	# meson picks ccache up itself; the keys do not depend on the folder.
	command -v ccache >/dev/null || die "ccache missing (make deps-libvirt)"
	export CCACHE_BASEDIR=$ST_TREE CCACHE_NOHASHDIR=1
	want=$(printf '%s\n' "${MESON_OPTS[@]}" | sha256sum | cut -c1-16)
	if [ "$(cat "$LOUT/vsm-configured" 2>/dev/null)" != "$want" ]; then
		step "configure: libvirt $(st_version "$ST_TREE") (QEMU driver, libvirtd, virsh, tests)"
		rm -rf "$LOUT"
		run_logged "$LOGS/libvirt-configure.log" meson setup "${MESON_OPTS[@]}" "$LOUT" "$ST_TREE" ||
			die "libvirt's meson setup failed (log: $LOGS/libvirt-configure.log)"
		echo "$want" >"$LOUT/vsm-configured"
	fi
	t0=$(date +%s.%N)
	step "build: libvirt ($PIN_PKG $PIN_VER + $(st_patches | grep -c '' || true) patches, -j$(nproc), ccache)"
	run_logged "$LOGS/libvirt-build.log" ninja -C "$LOUT" -j"$(nproc)" ||
		die "libvirt build failed (log: $LOGS/libvirt-build.log)"
	# What the test VM runs: libvirt installed as Debian lays it out,
	# again only when ninja built something (it writes .ninja_log then).
	if [ ! -f "$LROOT/.vsm-installed" ] || [ "$LOUT/.ninja_log" -nt "$LROOT/.vsm-installed" ]; then
		rm -rf "$LROOT"
		run_logged "$LOGS/libvirt-install.log" meson install -C "$LOUT" --no-rebuild \
			--destdir "$LROOT" || die "libvirt's install failed (log: $LOGS/libvirt-install.log)"
		: >"$LROOT/.vsm-installed"
	fi
	echo "    built $(st_rel "$LOUT") and installed it into $(st_rel "$LROOT") in $(elapsed "$t0") s"
}

# libvirt's own tests of what the series touches.
run_tests() {
	local t0
	t0=$(date +%s.%N)
	step "test: libvirt's ${TESTS[*]}"
	run_logged "$LOGS/libvirt-test.log" meson test -C "$LOUT" --no-rebuild \
		--print-errorlogs "${TESTS[@]}" ||
		die "libvirt's tests failed (log: $LOGS/libvirt-test.log)"
	grep -E '^(Ok|Fail|Skipped|Timeout):' "$LOGS/libvirt-test.log" | tr -s ' ' | paste -sd' ' |
		sed "s/^/    /; s/\$/ ($(elapsed "$t0") s)/"
}

# Run tests/qemucapsprobe on our QEMU inside the test VM, where KVM (with
# VSM) is real, and regenerate the 7.2.0 capability data from its replies.
capsprobe() {
	local root=$BUILD/libvirt-capsprobe q=$BUILD/selftests-$KCONFIG/qemu/root out sum
	[ -x "$LOUT/tests/qemucapsprobe" ] || die "no $(st_rel "$LOUT")/tests/qemucapsprobe (make libvirt)"
	[ -x "$q/usr/bin/qemu-system-x86_64" ] || die "no QEMU staged for the test VM (make selftests)"
	rm -rf "$root"
	mkdir -p "$root"
	stage_elf "$root" "$LOUT/tests/qemucapsprobe" "$LOUT/tests/qemucapsprobe"
	stage_elf "$root" "$LOUT/tests/libqemucapsprobemock.so" "$LOUT/tests/libqemucapsprobemock.so"
	cp -a "$q/." "$root/"
	out=$LOGS/libvirt-capsprobe.out
	RIG_ROOT=$root VMM_BUDGET=300 VMM_JOB="$LOUT/tests/qemucapsprobe /usr/bin/qemu-system-x86_64 >/tmp/r; echo CAPS-BEGIN \$(sha256sum </tmp/r); gzip -9 -c /tmp/r | base64; echo CAPS-END" \
		"$TOP/tests/rig/vm.sh" run >"$out" 2>&1 || { tail -n 20 "$out"; die "the probe failed (log: $out)"; }
	tr -d '\r' <"$LOGS/vm-run-$KCONFIG.log" | sed -n '/^CAPS-BEGIN /,/^CAPS-END$/p' >"$out.b64"
	sum=$(sed -n 's/^CAPS-BEGIN \([0-9a-f]*\).*/\1/p' "$out.b64")
	sed '1d;$d' "$out.b64" | base64 -d | gunzip >"$ST_TREE/$CAPS.replies" ||
		die "the probe's output did not come back whole (log: $LOGS/vm-run-$KCONFIG.log)"
	[ "$(sha256sum <"$ST_TREE/$CAPS.replies" | cut -d' ' -f1)" = "$sum" ] ||
		die "the probe's output came back damaged (log: $LOGS/vm-run-$KCONFIG.log)"
	echo "    $CAPS.replies: $(grep -c '"execute"' "$ST_TREE/$CAPS.replies") QMP commands"
	(cd "$LOUT" && VIR_TEST_REGENERATE_OUTPUT=1 tests/qemucapabilitiestest >/dev/null 2>&1 || true
	 VIR_TEST_REGENERATE_OUTPUT=1 tests/domaincapstest >/dev/null 2>&1 || true)
	$ST_GIT status --short
}

case ${1:-} in
prepare) st_prepare ;;
build) build ;;
test) run_tests ;;
series) st_series ;;
capsprobe) capsprobe ;;
*) die "usage: vmm/libvirt/tree.sh prepare|build|test|series|capsprobe" ;;
esac
