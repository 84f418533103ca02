#!/bin/sh
# PID 1 of the test guest (busybox). Every line goes to the serial console,
# which the host keeps as the log. The status line is written first with a
# failing value: a crash, panic or hang never reads as a pass.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
echo "VMTEST-STATUS: 99"
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /tmp /sys/fs/bpf /run
mount -t devpts devpts /dev/pts
mount -t tmpfs tmp /tmp
mount -t tmpfs shm /dev/shm
mount -t tmpfs run /run
mount -t bpf bpf /sys/fs/bpf
mkdir -p /run/netns
# no modprobe here: passes until none more loads (a module whose
# dependencies are not in yet fails, and loads on a later pass)
for _ in 1 2 3 4; do
	for m in /lib/modules/"$(uname -r)"/*.ko; do
		[ -e "$m" ] && insmod "$m" 2>/dev/null
	done
done
echo "VMTEST-MODULES: $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
ip link set lo up
ip addr add 127.0.0.1/8 dev lo 2>/dev/null
echo "VMTEST-KERNEL: $(uname -r)"

# which path --mode auto takes on this kernel, and why
cd /tmp || exit 1
/sg/sockgate --addr 127.0.0.1:0 --secret probe --workers 1 2>/tmp/auto.log &
pid=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do
	grep -q "listening on" /tmp/auto.log && break
	sleep 1
done
kill $pid; wait $pid
# its own line, not the listening line's mention of auto
sed -n 's/.*\] \(mode auto: .*\)/VMTEST-AUTO: \1/p' /tmp/auto.log

/usr/bin/setpriv --bounding-set=-all --inh-caps=-all -- /bin/true ||
	echo "VMTEST-DIAG: setpriv does not work here"

cd /sg || exit 1
# test-args holds Criterion flags, one word each
# shellcheck disable=SC2046
SG_BUILD=/sg SG_TEST_LIGHT=1 SG_KEEP=1 ./test-gateway -j2 --color=never $(cat /sg/test-args 2>/dev/null)
rc=$?
# what the gateways warned about, for the host's log
grep -h " warn \| error \|cannot take\|runtime error" /tmp/sgtest.*/gw.log 2>/dev/null |
	sed 's/^[^ ]* //; s/[0-9][0-9]*/N/g' | sort | uniq -c | sort -rn | head -40 |
	sed 's/^/VMTEST-DIAG: /'
echo "VMTEST-STATUS: $rc"
sync
poweroff -f
