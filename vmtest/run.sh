#!/bin/bash
# make vmtest: boots each kernel under QEMU (software emulation) with an
# initramfs holding the built binaries, the test runner and their tools,
# runs the suite inside, and prints a table. Kernel packages come from apt
# and are cached under build/vmtest/cache.
#   vmtest/run.sh BUILD_DIR [kernel ...]   (see vmtest/kernels.sh)
set -euo pipefail
BUILD=$(realpath "$1")
shift
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$BUILD/vmtest
CACHE=$OUT/cache
TIMEOUT=${VMTEST_TIMEOUT:-1200}
mkdir -p "$CACHE"

mapfile -t PKGS < <(sh "$HERE/kernels.sh" "$@")
if [ ${#PKGS[@]} -eq 0 ] || [ -z "${PKGS[0]}" ]; then
	apt-get update -qq </dev/null # an image without package lists
	mapfile -t PKGS < <(sh "$HERE/kernels.sh" "$@")
fi
[ ${#PKGS[@]} -gt 0 ] || { echo "vmtest: no kernel found" >&2; exit 1; }

# --- the initramfs, shared by every kernel ---------------------------------
ROOT=$OUT/initramfs
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,sg,lib64}
cp /usr/bin/busybox "$ROOT/bin/busybox"
for app in $("$ROOT/bin/busybox" --list); do
	[ -e "$ROOT/bin/$app" ] || ln -s busybox "$ROOT/bin/$app"
done
copy_with_libs() { # path dest
	cp -L "$1" "$2"
	ldd "$1" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		mkdir -p "$ROOT$(dirname "$lib")"
		[ -e "$ROOT$lib" ] || cp -L "$lib" "$ROOT$lib"
	done
}
for f in sockgate sockgatectl sg-echo test-gateway; do
	copy_with_libs "$BUILD/$f" "$ROOT/sg/$f"
done
for tool in /usr/sbin/bpftool /usr/bin/openssl /usr/bin/setpriv; do
	rm -f "$ROOT/bin/$(basename "$tool")" # not busybox's applet
	copy_with_libs "$tool" "$ROOT/usr/bin/$(basename "$tool")"
done
# bpftool on Debian is a wrapper script for the kernel-versioned binary
if head -c2 /usr/sbin/bpftool | grep -q '#!'; then
	real=$(ls /usr/lib/linux-tools-*/bpftool 2>/dev/null | sort -V | tail -1 || true)
	[ -n "$real" ] && copy_with_libs "$real" "$ROOT/usr/bin/bpftool"
fi
mkdir -p "$ROOT/usr/lib/ssl" && cp -r /usr/lib/ssl/openssl.cnf "$ROOT/usr/lib/ssl/" 2>/dev/null || true
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' >"$ROOT/etc/hosts"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\n' >"$ROOT/etc/group"
: >"$ROOT/etc/resolv.conf"
cp "$HERE/guest-init.sh" "$ROOT/init"
chmod +x "$ROOT/init"
echo "${VMTEST_TEST_ARGS:-}" >"$ROOT/sg/test-args"
(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -1) >"$OUT/initramfs.gz"

# --- one guest per kernel ---------------------------------------------------
declare -a ROWS
FAIL=0
for pkg in "${PKGS[@]}"; do
	deb=$(ls "$CACHE/${pkg}"_*.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		(cd "$CACHE" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null) ||
			(apt-get update -qq </dev/null &&
			 cd "$CACHE" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null)
		deb=$(ls "$CACHE/${pkg}"_*.deb | head -1)
	fi
	kdir=$CACHE/${pkg}.root
	[ -d "$kdir" ] || dpkg -x "$deb" "$kdir"
	vmlinuz=$(ls "$kdir"/boot/vmlinuz-* | head -1)
	log=$OUT/$pkg.log
	start=$(date +%s)
	echo "vmtest: $pkg: booting (log $log)"
	timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 \
		-machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m 3G \
		-kernel "$vmlinuz" -initrd "$OUT/initramfs.gz" \
		-append "console=ttyS0 panic=-1 oops=panic quiet loglevel=3" \
		-display none -monitor none -serial "file:$log" -no-reboot \
		</dev/null || true
	secs=$(($(date +%s) - start))
	tr -d '\r' <"$log" >"$log.txt"
	status=$(sed -n 's/^VMTEST-STATUS: //p' "$log.txt" | tail -1)
	kver=$(sed -n 's/^VMTEST-KERNEL: //p' "$log.txt" | tail -1)
	auto=$(sed -n 's/^VMTEST-AUTO: mode auto: \([a-z]*\).*/\1/p' "$log.txt" | tail -1)
	synth=$(grep -o 'Tested: [0-9]* | Passing: [0-9]* | Failing: [0-9]* | Crashing: [0-9]*' "$log.txt" | tail -1 || true)
	passed=$(echo "$synth" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	failed=$(echo "$synth" | sed -n 's/.*Failing: \([0-9]*\) | Crashing: \([0-9]*\).*/\1+\2/p')
	[ -n "$failed" ] && failed=$((failed))
	result=pass
	if [ "${status:-none}" != 0 ]; then
		result="FAIL (status ${status:-none})"
		FAIL=1
		echo "vmtest: $pkg failed; the end of its log:"
		tail -40 "$log.txt"
	fi
	ROWS+=("| ${kver:-?} | ${auto:-?} | ${passed:-?} | ${failed:-?} | ${secs}s | $result |")
done

TABLE=$OUT/summary.md
{
	echo "| kernel | auto mode | passed | failed | time | result |"
	echo "|---|---|---|---|---|---|"
	printf '%s\n' "${ROWS[@]}"
} >"$TABLE"
echo
cat "$TABLE"
exit $FAIL
