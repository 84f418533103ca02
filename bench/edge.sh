#!/bin/bash
# make bench (and make bench-edge): the TLS and WebSocket rows. sockgate
# (--tls-cert; user-space TLS on this host, whose kernel has no tls.ko)
# beside HAProxy (bind ... ssl crt) and nginx stream (listen ... ssl) with
# the same certificate, and WebSocket echo beside websockify, all on the
# same backends, with bench/edgeload.c as the client. Medians of REPEAT
# runs; system-wide busy CPU from /proc/stat (the client's share is the
# same for every system). Writes bench/results/edge.md.
#   bench/edge.sh BUILD_DIR     (QUICK=1: 2 s runs, one each)
set -euo pipefail
BUILD=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
RES=$HERE/results
WORK=$BUILD/bench-edge
LOAD=$BUILD/sg-edgeload
mkdir -p "$RES" "$WORK"
if [ -n "${QUICK:-}" ]; then SECS=2 REPEAT=1; else SECS=5 REPEAT=3; fi
CONC=${CONC:-8}
WS_CONC=${WS_CONC:-64}

PIDS=()
cleanup() {
	for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
	pkill -f "$WORK/haproxy" 2>/dev/null || true
	pkill -f "nginx -c $WORK/nginx" 2>/dev/null || true
	pkill -f "websockify 127.0.0.1:19801" 2>/dev/null || true
}
trap cleanup EXIT
cleanup
sleep 0.3

"$BUILD/sg-bench-backend" 19401 echo >/dev/null &
PIDS+=($!)
"$BUILD/sg-bench-backend" 19402 source >/dev/null &
PIDS+=($!)
"$BUILD/sg-bench-backend" 19403 sink >/dev/null &
PIDS+=($!)
sh "$HERE/../tests/certs.sh" "$WORK/certs"
(umask 077 && openssl rand -base64 32 >"$WORK/secret")
tok() { "$BUILD/sockgatectl" --secret-file "$WORK/secret" encrypt "127.0.0.1:$1"; }
TOK_ECHO=$(tok 19401)
TOK_SRC=$(tok 19402)
TOK_SINK=$(tok 19403)

# start SYSTEM KEY (ec|rsa): sets ECHO SRC SINK ports and the tokens
start() {
	local c=$WORK/certs/$2
	case $1 in
	haproxy)
		cat "$c.pem" "$c.key" >"$WORK/crt-$2.pem"
		cat >"$WORK/haproxy-$2.cfg" <<CFG
global
	nbthread 2
	maxconn 4000
defaults
	mode tcp
	timeout connect 5s
	timeout client 1h
	timeout server 1h
listen echo
	bind 127.0.0.1:19501 ssl crt $WORK/crt-$2.pem
	server s1 127.0.0.1:19401
listen source
	bind 127.0.0.1:19502 ssl crt $WORK/crt-$2.pem
	server s1 127.0.0.1:19402
listen sink
	bind 127.0.0.1:19503 ssl crt $WORK/crt-$2.pem
	server s1 127.0.0.1:19403
CFG
		haproxy -f "$WORK/haproxy-$2.cfg" -db >"$WORK/haproxy.log" 2>&1 &
		SYS=$! ECHO=19501 SRC=19502 SINK=19503 TE=- TS=- TU=-
		SYSPROC="haproxy -f $WORK/haproxy" ;;
	nginx)
		cat >"$WORK/nginx-$2.conf" <<CFG
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 2;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err;
events { worker_connections 4000; }
stream {
	ssl_certificate $c.pem;
	ssl_certificate_key $c.key;
	server { listen 127.0.0.1:19601 ssl; proxy_pass 127.0.0.1:19401; }
	server { listen 127.0.0.1:19602 ssl; proxy_pass 127.0.0.1:19402; }
	server { listen 127.0.0.1:19603 ssl; proxy_pass 127.0.0.1:19403; }
}
CFG
		nginx -c "$WORK/nginx-$2.conf" >"$WORK/nginx.log" 2>&1 &
		SYS=$! ECHO=19601 SRC=19602 SINK=19603 TE=- TS=- TU=-
		SYSPROC="nginx: worker process" ;;
	sockgate)
		(cd "$WORK" && exec "$BUILD/sockgate" --addr 127.0.0.1:19701 \
			--secret-file "$WORK/secret" --tls-cert "$c.pem" \
			--tls-key "$c.key" --allow-plain --workers 2 \
			--log-level warn --pidfile "" 2>"$WORK/sockgate.log") &
		SYS=$! ECHO=19701 SRC=19701 SINK=19701
		TE=$TOK_ECHO TS=$TOK_SRC TU=$TOK_SINK
		SYSPROC="$BUILD/sockgate --addr 127.0.0.1:19701" ;;
	websockify)
		websockify 127.0.0.1:19801 127.0.0.1:19401 >"$WORK/websockify.log" 2>&1 &
		SYS=$! ECHO=19801 ;;
	esac
	sleep 1
}

stop() {
	kill "$SYS" 2>/dev/null || true
	wait "$SYS" 2>/dev/null || true
	sleep 0.5
}

# CPU-seconds the server's processes used so far (websockify forks one
# a connection: all of them)
proc_cpu() {
	local t=0 p f
	for p in $(pgrep -f "$1"); do
		# utime stime cutime cstime (reaped children's)
		f=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$p/stat" 2>/dev/null) ||
			continue
		t=$((t + f))
	done
	awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }'
}

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# run VAR ARGS...: REPEAT runs of sg-edgeload; VAR_rate and VAR_cpu get
# the medians (cpu: busy CPU-seconds per unit of rate, see below), and
# with PROC set (a pattern of the server's processes) VAR_proc the
# server's own CPU-seconds per unit
run() {
	local var=$1 rates=() cpus=() procs=() out r c p0 p1
	shift
	for _ in $(seq "$REPEAT"); do
		p0=$(proc_cpu "${PROC:-^$}")
		out=$("$LOAD" "$@")
		p1=$(proc_cpu "${PROC:-^$}")
		r=$(echo "$out" | sed -n 's/.*rate=\([0-9.]*\).*/\1/p')
		c=$(echo "$out" | sed -n 's/.*cpu=\([0-9.]*\).*/\1/p')
		rates+=("$r")
		# busy CPU-seconds per unit moved
		cpus+=("$(awk -v c="$c" -v r="$r" -v s="$SECS" 'BEGIN { printf "%.6g", c / (r * s) }')")
		procs+=("$(awk -v a="$p0" -v b="$p1" -v r="$r" -v s="$SECS" 'BEGIN { printf "%.6g", (b - a) / (r * s) }')")
	done
	printf -v "${var}_proc" '%s' "$(printf '%s\n' "${procs[@]}" | median)"
	printf -v "${var}_rate" '%s' "$(printf '%s\n' "${rates[@]}" | median)"
	printf -v "${var}_cpu" '%s' "$(printf '%s\n' "${cpus[@]}" | median)"
}

declare -A R
hs_rate='' dn_rate='' dn_proc='' up_rate='' up_proc='' ws_rate='' ws_cpu='' ws_proc='' SYSPROC=''
for sys in haproxy nginx sockgate; do
	for key in ec rsa; do
		start "$sys" "$key"
		run hs hs 127.0.0.1 "$ECHO" "$TE" "$SECS" "$CONC"
		R[$sys.hs.$key]=$hs_rate
		if [ "$key" = ec ]; then
			PROC=$SYSPROC run dn down 127.0.0.1 "$SRC" "$TS" "$SECS"
			R[$sys.down]=$dn_rate R[$sys.down.cpu]=$dn_proc
			PROC=$SYSPROC run up up 127.0.0.1 "$SINK" "$TU" "$SECS"
			R[$sys.up]=$up_rate R[$sys.up.cpu]=$up_proc
		fi
		stop
		echo "edge: $sys $key: hs ${R[$sys.hs.$key]}/s${R[$sys.down]:+, down ${R[$sys.down]} B/s, up ${R[$sys.up]} B/s}"
	done
done
start sockgate ec
WS_PLAIN=1 PROC="$BUILD/sockgate --addr 127.0.0.1:19701" run ws ws 127.0.0.1 19701 \
	"/?token=$(printf %s "$TOK_ECHO" | sed 's/+/%2B/g; s,/,%2F,g; s/=/%3D/g')" \
	"$SECS" "$WS_CONC" 64
R[sockgate.ws]=$ws_rate R[sockgate.ws.cpu]=$ws_cpu R[sockgate.ws.proc]=$ws_proc
stop
start websockify ec
WS_PLAIN=1 PROC="websockify 127.0.0.1:19801" run ws ws 127.0.0.1 19801 / "$SECS" \
	"$WS_CONC" 64
R[websockify.ws]=$ws_rate R[websockify.ws.cpu]=$ws_cpu R[websockify.ws.proc]=$ws_proc
stop
echo "edge: ws echo 64 B: sockgate ${R[sockgate.ws]}/s, websockify ${R[websockify.ws]}/s"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
met() { awk -v v="$1" -v t="$2" -v le="${3:-}" 'BEGIN { ok = le ? v <= t : v >= t; print ok ? "met" : "missed" }'; }
mbs() { awk -v v="$1" 'BEGIN { printf "%.0f", v / 1048576 }'; }
gbcpu() { awk -v v="$1" 'BEGIN { printf "%.2f", v * 1073741824 }'; }
uscpu() { awk -v v="$1" 'BEGIN { printf "%.1f", v * 1e6 }'; }

OUT=$RES/edge.md
{
	echo "# TLS and WebSocket ($(date -u +%F), $(uname -r), $(nproc) CPUs, ${SECS}s x $REPEAT, medians)"
	echo
	echo "User-space TLS everywhere (this kernel has no tls.ko). Bulk: one"
	echo "connection; handshakes: $CONC clients in a loop (full handshake, token and"
	echo "status for sockgate, one byte echoed), TLS 1.3. The load generator, the"
	echo "backend and the proxy share the 2 CPUs, which every run keeps busy: CPU per"
	echo "GiB and per message is the proxy's own processes' (user-space TLS and"
	echo "WebSocket framing are all in them), children included."
	echo
	echo "| system | down MiB/s | proxy CPU-s/GiB | up MiB/s | proxy CPU-s/GiB | handshakes/s ECDSA P-256 | handshakes/s RSA 2048 |"
	echo "|---|---|---|---|---|---|---|"
	for s in haproxy nginx sockgate; do
		echo "| $s | $(mbs "${R[$s.down]}") | $(gbcpu "${R[$s.down.cpu]}") | $(mbs "${R[$s.up]}") | $(gbcpu "${R[$s.up.cpu]}") | ${R[$s.hs.ec]} | ${R[$s.hs.rsa]} |"
	done
	echo
	echo "| target (sockgate / HAProxy) | ratio | |"
	echo "|---|---|---|"
	d=$(ratio "${R[sockgate.down]}" "${R[haproxy.down]}")
	echo "| TLS bulk down >= 1.3x (kernel TLS; here user-space) | $d | $(met "$d" 1.3) |"
	u=$(ratio "${R[sockgate.up]}" "${R[haproxy.up]}")
	echo "| TLS bulk up >= 1.3x (kernel TLS; here user-space) | $u | $(met "$u" 1.3) |"
	c=$(ratio "${R[sockgate.down.cpu]}" "${R[haproxy.down.cpu]}")
	echo "| proxy CPU per GiB down <= 0.8x | $c | $(met "$c" 0.8 le) |"
	h=$(ratio "${R[sockgate.hs.ec]}" "${R[haproxy.hs.ec]}")
	echo "| handshakes/s ECDSA >= 0.9x | $h | $(met "$h" 0.9) |"
	h=$(ratio "${R[sockgate.hs.rsa]}" "${R[haproxy.hs.rsa]}")
	echo "| handshakes/s RSA >= 0.9x | $h | $(met "$h" 0.9) |"
	echo
	echo "| WebSocket echo, 64 B, $WS_CONC clients | messages/s | busy CPU µs/message, all | the server's own CPU µs/message |"
	echo "|---|---|---|---|"
	echo "| sockgate (ws://) | ${R[sockgate.ws]} | $(uscpu "${R[sockgate.ws.cpu]}") | $(uscpu "${R[sockgate.ws.proc]}") |"
	echo "| websockify $(dpkg-query -W -f='${Version}' websockify 2>/dev/null) | ${R[websockify.ws]} | $(uscpu "${R[websockify.ws.cpu]}") | $(uscpu "${R[websockify.ws.proc]}") |"
	w=$(ratio "${R[sockgate.ws]}" "${R[websockify.ws]}")
	echo "| target: sockgate >= 3x websockify's messages/s | ${w}x | $(met "$w" 3) |"
	w=$(ratio "${R[websockify.ws.proc]}" "${R[sockgate.ws.proc]}")
	echo "| (websockify's CPU per message / sockgate's) | ${w}x | |"
} >"$OUT"
cat "$OUT"
