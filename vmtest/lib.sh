#!/bin/bash
# Shared by vmtest/run.sh and bench/vm-idle.sh: the Debian kernel to boot,
# an initramfs with our binaries and their tools, and the QEMU guest.

# vm_kernel PKG CACHE: downloads and unpacks the kernel package once,
# prints its vmlinuz
vm_kernel() {
	local pkg=$1 cache=$2 deb kdir
	mkdir -p "$cache"
	deb=$(find "$cache" -maxdepth 1 -name "${pkg}_*.deb" | head -1)
	if [ -z "$deb" ]; then
		(cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null) ||
			(apt-get update -qq </dev/null &&
			 cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null)
		deb=$(find "$cache" -maxdepth 1 -name "${pkg}_*.deb" | head -1)
	fi
	kdir=$cache/${pkg}.root
	[ -d "$kdir" ] || dpkg -x "$deb" "$kdir"
	find "$kdir/boot" -maxdepth 1 -name 'vmlinuz-*' | sort | head -1
}

# vm_packages [kernel ...]: the kernel packages (vmtest/kernels.sh), with
# the apt index fetched if the image has none
vm_packages() {
	local here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	mapfile -t VM_PKGS < <(sh "$here/kernels.sh" "$@")
	if [ ${#VM_PKGS[@]} -eq 0 ] || [ -z "${VM_PKGS[0]}" ]; then
		apt-get update -qq </dev/null
		mapfile -t VM_PKGS < <(sh "$here/kernels.sh" "$@")
	fi
	[ ${#VM_PKGS[@]} -gt 0 ] && [ -n "${VM_PKGS[0]}" ]
}

# vm_initramfs ROOT OUT INIT FILE...: busybox, FILEs in /sg (with their
# libraries), bpftool, openssl, setpriv, ip, ss, dnsmasq; INIT as /init; cpio.gz in OUT.
# With VM_MODULES set, that directory's <kernel version>/*.ko go to
# /lib/modules (the guest loads them: veth for the netns tests).
vm_initramfs() {
	local root=$1 out=$2 init=$3 f tool real app
	shift 3
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,sg,lib64}
	cp /usr/bin/busybox "$root/bin/busybox"
	for app in $("$root/bin/busybox" --list); do
		[ -e "$root/bin/$app" ] || ln -s busybox "$root/bin/$app"
	done
	for f in "$@"; do
		vm_copy_with_libs "$root" "$f" "$root/sg/$(basename "$f")"
	done
	for tool in /usr/sbin/bpftool /usr/bin/openssl /usr/bin/setpriv \
		/usr/bin/ip /usr/bin/ss /usr/sbin/dnsmasq; do
		rm -f "$root/bin/$(basename "$tool")" # not busybox's applet
		vm_copy_with_libs "$root" "$tool" "$root/usr/bin/$(basename "$tool")"
	done
	# bpftool on Debian is a wrapper script for the kernel-versioned binary
	if head -c2 /usr/sbin/bpftool | grep -q '#!'; then
		real=$(find /usr/lib -maxdepth 2 -path '/usr/lib/linux-tools-*/bpftool' | sort -V | tail -1)
		[ -n "$real" ] && vm_copy_with_libs "$root" "$real" "$root/usr/bin/bpftool"
	fi
	if [ -n "${VM_MODULES:-}" ] && [ -d "$VM_MODULES" ]; then
		mkdir -p "$root/lib/modules"
		cp -r "$VM_MODULES"/. "$root/lib/modules/"
	fi
	mkdir -p "$root/usr/lib/ssl"
	cp /usr/lib/ssl/openssl.cnf "$root/usr/lib/ssl/" 2>/dev/null || true
	printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' >"$root/etc/hosts"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	: >"$root/etc/resolv.conf"
	cp "$init" "$root/init"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
}

# vm_copy_with_libs ROOT PATH DEST
vm_copy_with_libs() {
	local root=$1 lib
	mkdir -p "$(dirname "$3")"
	cp -L "$2" "$3"
	ldd "$2" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		[ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
	done || true # a data file has no libraries
}

# vm_boot VMLINUZ INITRD LOG MEM TIMEOUT: one guest, software emulation,
# its console in LOG (and LOG.txt without carriage returns)
vm_boot() {
	timeout --foreground -k 10 "$5" qemu-system-x86_64 \
		-machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m "$4" \
		-kernel "$1" -initrd "$2" \
		-append "console=ttyS0 panic=-1 oops=panic quiet loglevel=3" \
		-display none -monitor none -serial "file:$3" -no-reboot \
		</dev/null || true
	tr -d '\r' <"$3" >"$3.txt"
}

# vm_modules KROOT OUT MODULE...: copies the named modules of an unpacked
# kernel package (decompressed) to OUT/<kernel version>/.
vm_modules() {
	local kroot=$1 out=$2 m f ver
	shift 2
	for m in "$@"; do
		f=$(find "$kroot/lib/modules" -name "$m.ko*" | head -1)
		[ -n "$f" ] || continue
		ver=${f#"$kroot"/lib/modules/}
		ver=${ver%%/*}
		mkdir -p "$out/$ver"
		case $f in
		*.xz) xz -dc "$f" >"$out/$ver/$m.ko" ;;
		*.zst) zstd -qdc "$f" >"$out/$ver/$m.ko" ;;
		*) cp "$f" "$out/$ver/$m.ko" ;;
		esac
	done
}
