#!/bin/sh
# The initramfs's PID 1 for the booted-root test: the modules the root
# disk needs, then systemd from it (vmtest/systemd.sh).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for _ in 1 2 3 4; do
	for m in /lib/modules/"$(uname -r)"/*.ko; do
		[ -e "$m" ] && insmod "$m" 2>/dev/null
	done
done
mkdir -p /newroot
for _ in $(seq 50); do
	[ -b /dev/vda ] && break
	sleep 0.1
done
if ! mount -t ext4 /dev/vda /newroot; then
	echo "SGBOOT-FAIL the root disk did not mount"
	poweroff -f
fi
umount /proc /sys
mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /lib/systemd/systemd
