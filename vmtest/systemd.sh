#!/bin/bash
# make systemd-test: the Debian package under a real systemd. A Debian 12
# root from the archive (mmdebstrap: systemd, curl and the package's
# libraries; kept in BUILD/systemd between runs), the .deb installed in
# it, booted in QEMU on the newest pinned 6.12 kernel with systemd as
# PID 1; vmtest/systemd-guest.sh runs there as a unit and reports.
# Usage: systemd.sh BUILD
set -euo pipefail
B=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=vmtest/lib.sh
. "$here/lib.sh"
W=$B/systemd
mkdir -p "$W"

if ! command -v qemu-system-x86_64 >/dev/null || ! command -v mmdebstrap >/dev/null; then
	echo "systemd-test: SKIPPED: no qemu-system-x86_64 or mmdebstrap here"
	exit 0
fi
deb=$(find "$B" -maxdepth 1 -name 'sockgate_*_amd64.deb' | sort | tail -1)
[ -n "$deb" ] || { echo "systemd-test: no package in $B (make deb)" >&2; exit 1; }

if [ ! -s "$W/base.tar" ]; then
	echo "systemd-test: building a Debian 12 root (mmdebstrap)"
	mmdebstrap --variant=minbase \
		--include=systemd,systemd-sysv,curl,procps,kmod,adduser,bpftool,libbpf1,libc-ares2,libmicrohttpd12,libcurl4,libjson-c5,libwslay1,libssl3 \
		bookworm "$W/base.new.tar" >"$W/mmdebstrap.log" 2>&1 ||
		{ tail -20 "$W/mmdebstrap.log" >&2; exit 1; }
	mv "$W/base.new.tar" "$W/base.tar" # (mmdebstrap picks the format by the name)
fi

vm_packages 6.12
pkg=${VM_PKGS[0]}
vmlinuz=$(vm_kernel "$pkg" "$B/vmtest/cache")
kroot=$B/vmtest/cache/$pkg.root

# the root: the base, the kernel's modules, the package, the test unit
R=$W/root
rm -rf "$R"
mkdir -p "$R"
tar -C "$R" -xf "$W/base.tar"
cp -a "$kroot/lib/modules" "$R/lib/"
cp "$deb" "$R/tmp/sockgate.deb"
# nothing starts in the chroot (policy-rc.d(8)); systemd starts it at boot
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod 0755 "$R/usr/sbin/policy-rc.d"
chroot "$R" dpkg -i /tmp/sockgate.deb >"$W/dpkg.log" 2>&1 ||
	{ cat "$W/dpkg.log" >&2; exit 1; }
rm -f "$R/usr/sbin/policy-rc.d" "$R/tmp/sockgate.deb"
install -m 0755 "$B/sg-echo" "$R/usr/local/bin/sg-echo"
install -m 0755 "$here/systemd-guest.sh" "$R/usr/local/sbin/sg-boot-test"
cat >"$R/etc/systemd/system/sg-boot-test.service" <<'UNIT'
[Unit]
Description=sockgate's booted-root test
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/sg-boot-test
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0

[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/sg-boot-test.service \
	"$R/etc/systemd/system/multi-user.target.wants/sg-boot-test.service"
# no login prompt on the console the report goes to
ln -sf /dev/null "$R/etc/systemd/system/serial-getty@ttyS0.service"
echo sgboot >"$R/etc/hostname"
printf '127.0.0.1 localhost sgboot\n' >"$R/etc/hosts"
rm -f "$W/root.img"
mke2fs -q -t ext4 -d "$R" -L sgroot "$W/root.img" 1536M

VM_MODULES=$W/mods
rm -rf "$VM_MODULES"
vm_modules "$kroot" "$VM_MODULES" virtio_blk crc16 mbcache jbd2 ext4 crc32c_generic
VM_MODULES=$VM_MODULES vm_initramfs "$W/initramfs" "$W/initramfs.gz" "$here/systemd-init.sh"

echo "systemd-test: booting $pkg with systemd (log $W/console.log)"
start=$(date +%s)
timeout --foreground -k 10 900 qemu-system-x86_64 \
	-machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m 2048 \
	-kernel "$vmlinuz" -initrd "$W/initramfs.gz" \
	-drive "file=$W/root.img,if=virtio,format=raw" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 systemd.show_status=0" \
	-display none -monitor none -serial "file:$W/console.log" -no-reboot \
	</dev/null || true
tr -d '\r' <"$W/console.log" >"$W/console.txt"
grep -a '^SGBOOT-' "$W/console.txt" || true
echo "systemd-test: $(( $(date +%s) - start )) s"
grep -aq '^SGBOOT-DONE fails=0$' "$W/console.txt" &&
	! grep -aq '^SGBOOT-FAIL' "$W/console.txt"
