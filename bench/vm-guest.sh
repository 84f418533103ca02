#!/bin/sh
# PID 1 of the idle-sessions guest (bench/vm-idle.sh): with the fd limit
# raised, each system holds N idle sessions (handshake and one echo
# each); prints the gateway's RSS growth and the kernel's slab growth per
# session as "VMBENCH: system metric value" lines on the console.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /tmp /sys/fs/bpf /run /var/log/nginx /var/lib/nginx
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mount -t bpf bpf /sys/fs/bpf
ip link set lo up
ip addr add 127.0.0.1/8 dev lo 2>/dev/null
echo "VMBENCH-KERNEL: $(uname -r)"
# busybox ash, which runs this in the guest, has ulimit -n
# shellcheck disable=SC3045
ulimit -n 1048576
sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
sysctl -qw net.core.somaxconn=65535
sysctl -qw net.ipv4.tcp_max_syn_backlog=65535
cd /tmp || exit 1
SG=/sg
COUNTS=$(cat $SG/vm-counts)
SYSTEMS=$(cat $SG/vm-systems)

# four backend ports: a quarter of the sessions each, so that no
# destination uses up the ephemeral ports (connect's search for a free
# one slows down as they fill)
for p in 19001 19003 19005 19007; do
	$SG/sg-bench-backend $p echo >/dev/null &
done
(umask 077 && openssl rand -base64 32 >/tmp/secret)
T1=$($SG/sockgatectl --secret-file /tmp/secret encrypt 127.0.0.1:19001)
T2=$($SG/sockgatectl --secret-file /tmp/secret encrypt 127.0.0.1:19003)
T3=$($SG/sockgatectl --secret-file /tmp/secret encrypt 127.0.0.1:19005)
T4=$($SG/sockgatectl --secret-file /tmp/secret encrypt 127.0.0.1:19007)
MAXC=210000
cat >/tmp/haproxy.cfg <<CFG
global
	nbthread 2
	maxconn $MAXC
defaults
	mode tcp
	timeout connect 5s
	timeout client 1h
	timeout server 1h
	option splice-auto
listen echo
	bind 127.0.0.1:19101
	balance roundrobin
	server s1 127.0.0.1:19001
	server s2 127.0.0.1:19003
	server s3 127.0.0.1:19005
	server s4 127.0.0.1:19007
CFG
cat >/tmp/nginx.conf <<CFG
load_module $SG/ngx_stream_module.so;
user root;
worker_processes 2;
worker_rlimit_nofile 1048576;
daemon off;
pid /tmp/nginx.pid;
error_log /tmp/nginx.err;
events { worker_connections $MAXC; }
stream {
	upstream echo {
		server 127.0.0.1:19001; server 127.0.0.1:19003;
		server 127.0.0.1:19005; server 127.0.0.1:19007;
	}
	server { listen 127.0.0.1:19201; proxy_pass echo; }
}
CFG

rss_of() { # KiB over the processes named $1
	t=0
	for d in /proc/[0-9]*; do
		grep -q "^Name:[[:space:]]*$1\$" "$d/status" 2>/dev/null || continue
		r=$(awk '/VmRSS/ {print $2}' "$d/status")
		t=$((t + ${r:-0}))
	done
	echo $t
}
slab_kb() { awk '/^Slab:/ {print $2}' /proc/meminfo; }

for sys in $SYSTEMS; do
	for n in $COUNTS; do
		TOK=""
		case $sys in
		haproxy) $SG/haproxy -f /tmp/haproxy.cfg -db >/tmp/hap.log 2>&1 &
			name=haproxy addr=127.0.0.1:19101 ;;
		nginx) $SG/nginx -c /tmp/nginx.conf >/tmp/nginx.log 2>&1 &
			name=nginx addr=127.0.0.1:19201 ;;
		sockgate-*) $SG/sockgate --addr 127.0.0.1:19301 \
				--secret-file /tmp/secret --mode "${sys#sockgate-}" \
				--workers 2 --log-level warn 2>/tmp/sg.log &
			name=sockgate addr=127.0.0.1:19301 TOK=1 ;;
		esac
		pid=$!
		sleep 3
		if [ -n "$TOK" ]; then
			set -- --token "$T1" --token "$T2" --token "$T3" --token "$T4"
		else
			set --
		fi
		# warm-up: code pages and per-thread heaps, once per process
		$SG/sg-loadgen idle "$addr" "$@" --conns 200 --seconds 1 >/dev/null
		sleep 2
		rss0=$(rss_of "$name") slab0=$(slab_kb)
		t0=$(date +%s)
		$SG/sg-loadgen idle "$addr" "$@" --src 8 --conns "$n" --seconds 10 \
			>/tmp/idle.out 2>&1 &
		lp=$!
		i=0
		while [ $i -lt 1200 ] && ! grep -q held /tmp/idle.out; do
			kill -0 $lp 2>/dev/null || break
			sleep 1
			i=$((i + 1))
			[ $((i % 30)) = 0 ] &&
				echo "VMBENCH-PROGRESS: $sys ${i}s $(tail -1 /tmp/idle.out)"
		done
		# past the gateway's heap trim (a second after the frees)
		sleep 3
		rss1=$(rss_of "$name") slab1=$(slab_kb)
		if grep -q "held $n" /tmp/idle.out; then
			echo "VMBENCH: $sys idle${n}_user_B $(((rss1 - rss0) * 1024 / n))"
			echo "VMBENCH: $sys idle${n}_slab_B $(((slab1 - slab0) * 1024 / n))"
			echo "VMBENCH: $sys idle${n}_open_s $(($(date +%s) - t0 - 3))"
		else
			echo "VMBENCH: $sys idle${n}_user_B fail"
			sed 's/^/VMBENCH-DIAG: /' /tmp/idle.out | tail -3
			tail -3 /tmp/sg.log /tmp/hap.log /tmp/nginx.err 2>/dev/null |
				sed 's/^/VMBENCH-DIAG: /'
		fi
		kill $lp 2>/dev/null
		wait $lp 2>/dev/null
		kill $pid 2>/dev/null
		wait $pid 2>/dev/null
		[ "$name" = nginx ] && kill "$(cat /tmp/nginx.pid 2>/dev/null)" 2>/dev/null
		sleep 3
	done
done
echo "VMBENCH-DONE"
sync
poweroff -f
