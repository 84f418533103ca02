#!/bin/sh
# PID 1 of the kernel TLS bench guest (bench/vm-edge.sh): one TLS 1.2
# stream each way through sockgate (kernel TLS: splice, the kernel
# encrypts), HAProxy (bind ... ssl crt) and nginx stream (listen ... ssl),
# the same certificate and backends; sg-edgeload prints the rate and the
# guest's busy CPU. Lines: VMBENCH-EDGE SYSTEM DIR rate=.. cpu=..
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /tmp /run /var/log/nginx /var/lib/nginx
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
for _ in 1 2 3 4; do
	for m in /lib/modules/"$(uname -r)"/*.ko; do
		[ -e "$m" ] && insmod "$m" 2>/dev/null
	done
done
ip link set lo up
ip addr add 127.0.0.1/8 dev lo 2>/dev/null
echo "VMBENCH-KERNEL: $(uname -r)"
echo "VMBENCH-MODULES: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
cd /tmp || exit 1
SG=/sg
SECS=$(cat $SG/vm-secs 2>/dev/null || echo 5)
sh $SG/certs.sh /tmp/c >/dev/null 2>&1
C=/tmp/c/ec
cat $C.pem $C.key >/tmp/crt.pem
$SG/sg-bench-backend 19402 source >/dev/null &
$SG/sg-bench-backend 19403 sink >/dev/null &
(umask 077 && openssl rand -base64 32 >/tmp/secret)
chmod 600 /tmp/secret
TS=$($SG/sockgatectl --secret-file /tmp/secret encrypt 127.0.0.1:19402)
TU=$($SG/sockgatectl --secret-file /tmp/secret encrypt 127.0.0.1:19403)
cat >/tmp/haproxy.cfg <<CFG
global
	nbthread 2
defaults
	mode tcp
	timeout connect 5s
	timeout client 1h
	timeout server 1h
listen source
	bind 127.0.0.1:19502 ssl crt /tmp/crt.pem
	server s1 127.0.0.1:19402
listen sink
	bind 127.0.0.1:19503 ssl crt /tmp/crt.pem
	server s1 127.0.0.1:19403
CFG
cat >/tmp/nginx.conf <<CFG
load_module $SG/ngx_stream_module.so;
user root;
worker_processes 2;
daemon off;
pid /tmp/nginx.pid;
error_log /tmp/nginx.err;
events { worker_connections 1024; }
stream {
	ssl_certificate $C.pem;
	ssl_certificate_key $C.key;
	server { listen 127.0.0.1:19602 ssl; proxy_pass 127.0.0.1:19402; }
	server { listen 127.0.0.1:19603 ssl; proxy_pass 127.0.0.1:19403; }
}
CFG

# run SYSTEM SRC_PORT SINK_PORT TOKEN_SRC TOKEN_SINK
run() {
	sleep 1
	for d in down up; do
		if [ $d = down ]; then p=$2 t=$4; else p=$3 t=$5; fi
		out=$(TLS12=1 $SG/sg-edgeload $d 127.0.0.1 "$p" "$t" "$SECS")
		echo "VMBENCH-EDGE: $1 $d $out"
	done
}
$SG/sockgate --addr 127.0.0.1:19701 --secret-file /tmp/secret \
	--tls-cert $C.pem --tls-key $C.key --workers 2 --log-level debug \
	--pidfile "" 2>/tmp/sg.log &
pid=$!
run sockgate 19701 19701 "$TS" "$TU"
kill $pid
wait $pid
echo "VMBENCH-DIAG: $(grep -c 'kernel TLS: send on, receive on' /tmp/sg.log) sessions on kernel TLS both ways; $(grep -c 'ktls up=' /tmp/sg.log) logged as ktls"
$SG/haproxy -f /tmp/haproxy.cfg -db >/tmp/hap.log 2>&1 &
pid=$!
run haproxy 19502 19503 - -
kill $pid
wait $pid
$SG/nginx -c /tmp/nginx.conf >/tmp/nginx.log 2>&1 &
pid=$!
run nginx 19602 19603 - -
kill $pid
wait $pid
echo "VMBENCH-DONE"
sync
poweroff -f
