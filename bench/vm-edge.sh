#!/bin/bash
# Kernel TLS beside HAProxy and nginx: boots Debian's 6.12 kernel under
# QEMU (vmtest/lib.sh) with tls.ko and AES-GCM loaded, and runs one TLS
# 1.2 stream each way through each (bench/vm-edge-guest.sh). Software
# emulation is slow: only the ratios mean something. Writes
# bench/results/edge-vm.md.
#   bench/vm-edge.sh BUILD_DIR
set -euo pipefail
BUILD=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$BUILD/vmbench-edge
# shellcheck source=vmtest/lib.sh
. "$HERE/../vmtest/lib.sh"
mkdir -p "$OUT"
vm_packages "${VMBENCH_KERNEL:-6.12}" || { echo "vm-edge: no kernel" >&2; exit 1; }
vmlinuz=$(vm_kernel "${VM_PKGS[0]}" "$BUILD/vmtest/cache")
export VM_MODULES=$OUT/modules
rm -rf "$VM_MODULES"
vm_modules "${vmlinuz%/boot/*}" "$VM_MODULES" tls gcm crypto_null ghash-generic \
	gf128mul aesni-intel crypto_simd cryptd
echo "${VMBENCH_SECS:-5}" >"$OUT/vm-secs"
vm_initramfs "$OUT/initramfs" "$OUT/initramfs.gz" "$HERE/vm-edge-guest.sh" \
	"$BUILD/sockgate" "$BUILD/sockgatectl" "$BUILD/sg-edgeload" \
	"$BUILD/sg-bench-backend" /usr/sbin/haproxy /usr/sbin/nginx \
	/usr/lib/nginx/modules/ngx_stream_module.so "$HERE/../tests/certs.sh" \
	"$OUT/vm-secs"
echo "vm-edge: ${VM_PKGS[0]} (log $OUT/guest.log)"
vm_boot "$vmlinuz" "$OUT/initramfs.gz" "$OUT/guest.log" 3G "${VMBENCH_TIMEOUT:-1200}"
L=$OUT/guest.log.txt
grep -q VMBENCH-DONE "$L" ||
	{ echo "vm-edge: the guest did not finish; its log:"; tail -30 "$L"; exit 1; }
grep '^VMBENCH-DIAG' "$L" || true
val() { # SYSTEM DIR FIELD
	sed -n "s/^VMBENCH-EDGE: $1 $2 .*$3=\([0-9.]*\).*/\1/p" "$L" | tail -1
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
perg() { # CPU-s per GiB from rate (B/s) and cpu (s over SECS)
	awk -v r="$1" -v c="$2" -v s="${VMBENCH_SECS:-5}" \
		'BEGIN { printf "%.2f", c / (r * s / 1073741824) }'
}
RES=$HERE/results/edge-vm.md
{
	echo "# Kernel TLS in a guest ($(sed -n 's/^VMBENCH-KERNEL: //p' "$L" | tail -1), QEMU TCG, $(date -u +%F))"
	echo
	echo "One TLS 1.2 AES-GCM stream each way, ${VMBENCH_SECS:-5} s each; CPU: the"
	echo "guest's busy time over the run, all processes, softirq and kworkers"
	echo "included, per GiB. Software emulation: ratios only."
	sed -n 's/^VMBENCH-DIAG: //p' "$L"
	echo
	echo "| system | down MiB/s | CPU-s/GiB | up MiB/s | CPU-s/GiB |"
	echo "|---|---|---|---|---|"
	for s in sockgate haproxy nginx; do
		echo "| $s | $(awk -v v="$(val $s down rate)" 'BEGIN { printf "%.1f", v / 1048576 }') | $(perg "$(val $s down rate)" "$(val $s down cpu)") | $(awk -v v="$(val $s up rate)" 'BEGIN { printf "%.1f", v / 1048576 }') | $(perg "$(val $s up rate)" "$(val $s up cpu)") |"
	done
	echo
	d=$(ratio "$(val sockgate down rate)" "$(val haproxy down rate)")
	u=$(ratio "$(val sockgate up rate)" "$(val haproxy up rate)")
	c=$(ratio "$(perg "$(val sockgate down rate)" "$(val sockgate down cpu)")" \
		"$(perg "$(val haproxy down rate)" "$(val haproxy down cpu)")")
	echo "| target (sockgate / HAProxy) | ratio | |"
	echo "|---|---|---|"
	echo "| TLS bulk down >= 1.3x | $d | $(awk -v v="$d" 'BEGIN { print (v >= 1.3 ? "met" : "missed") }') |"
	echo "| TLS bulk up >= 1.3x | $u | $(awk -v v="$u" 'BEGIN { print (v >= 1.3 ? "met" : "missed") }') |"
	echo "| CPU per GiB down <= 0.8x | $c | $(awk -v v="$c" 'BEGIN { print (v <= 0.8 ? "met" : "missed") }') |"
} >"$RES"
cat "$RES"
