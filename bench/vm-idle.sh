#!/bin/bash
# Idle sessions past this machine's fd limit: boots a Debian kernel under
# QEMU (vmtest/lib.sh) where the limit can be raised, and has each system
# hold 10,000 and 100,000 idle sessions (bench/vm-guest.sh). Appends the
# figures to a CSV (system,metric,value).
#   bench/vm-idle.sh BUILD_DIR CSV [COUNTS] [SYSTEMS]
set -euo pipefail
BUILD=$(realpath "$1")
CSV=$2
COUNTS=${3:-"10000 100000"}
SYSTEMS=${4:-"sockgate-sockmap sockgate-auto haproxy nginx"}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$BUILD/vmbench
# shellcheck source=vmtest/lib.sh
. "$HERE/../vmtest/lib.sh"
mkdir -p "$OUT"
vm_packages "${VMBENCH_KERNEL:-6.12}" || { echo "vm-idle: no kernel" >&2; exit 1; }
echo "$COUNTS" >"$OUT/vm-counts"
echo "$SYSTEMS" >"$OUT/vm-systems"
vm_initramfs "$OUT/initramfs" "$OUT/initramfs.gz" "$HERE/vm-guest.sh" \
	"$BUILD/sockgate" "$BUILD/sockgatectl" "$BUILD/sg-loadgen" \
	"$BUILD/sg-bench-backend" /usr/sbin/haproxy /usr/sbin/nginx \
	/usr/lib/nginx/modules/ngx_stream_module.so "$OUT/vm-counts" "$OUT/vm-systems"
vmlinuz=$(vm_kernel "${VM_PKGS[0]}" "$BUILD/vmtest/cache")
echo "vm-idle: ${VM_PKGS[0]}: $COUNTS idle sessions for $SYSTEMS (log $OUT/guest.log)"
vm_boot "$vmlinuz" "$OUT/initramfs.gz" "$OUT/guest.log" 10G "${VMBENCH_TIMEOUT:-3000}"
grep -q VMBENCH-DONE "$OUT/guest.log.txt" ||
	{ echo "vm-idle: the guest did not finish; its log:"; tail -30 "$OUT/guest.log.txt"; }
kver=$(sed -n 's/^VMBENCH-KERNEL: //p' "$OUT/guest.log.txt" | tail -1)
grep '^VMBENCH-DIAG' "$OUT/guest.log.txt" || true
sed -n 's/^VMBENCH: \([^ ]*\) \([^ ]*\) \(.*\)$/\1,vm_\2,\3/p' "$OUT/guest.log.txt" >>"$CSV"
echo "vm,kernel,${kver:-?}" >>"$CSV"
