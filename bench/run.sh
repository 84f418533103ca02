#!/bin/bash
# make bench: each system under test in turn against the same backends,
# on loopback, with the same load generator; medians of REPEAT runs.
# Writes bench/results/latest.md, latest.csv and PNG plots.
#   bench/run.sh BUILD_DIR        (QUICK=1: short runs, idle sessions only
#                                  up to the fd limit, no VM; NO_VM=1: no VM;
#                                  SYSTEMS="haproxy sockgate-auto": a subset)
set -euo pipefail
BUILD=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
RES=$HERE/results
WORK=$BUILD/bench
mkdir -p "$RES" "$WORK"
QUICK=${QUICK:-}
if [ -n "$QUICK" ]; then
	SECS=2 REPEAT=1 CONNS=1000 IDLE="10000"
else
	SECS=5 REPEAT=3 CONNS=1000 IDLE="10000 100000"
fi
# paced load: these many connections, each 128 B ten times a second
PACED="1000 2000"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
# HAProxy wants 2 fds a connection and spare; a proxy 2 fds a session,
# sockgate in splice mode 6 (two sockets, two pipes): each system holds
# as many of the wanted idle sessions as fit in the fd limit
FIT=$(((NOFILE - 6000) / 2))
idle_counts() { # system -> the idle session counts it is measured at
	local per=2 cap n
	[ "$1" = sockgate-splice ] && per=6
	# HAProxy: splice-auto pipes and its reserve; nginx: its workers
	# share the sessions unevenly
	case $1 in haproxy | nginx) per=3 ;; esac
	cap=$(((NOFILE - 300) / per / 100 * 100))
	for n in $IDLE; do [ "$n" -le "$cap" ] && echo "$n" || echo "$cap"; done | sort -un
}
sysctl -qw net.ipv4.ip_local_port_range="20000 65535" 2>/dev/null || true
sysctl -qw net.ipv4.tcp_tw_reuse=1 2>/dev/null || true
sysctl -qw net.core.somaxconn=65535 2>/dev/null || true

# what an interrupted run may have left behind
pkill -f "$WORK/haproxy.cfg" 2>/dev/null || true
pkill -f "nginx -c $WORK/nginx.conf" 2>/dev/null || true
pkill -f "$BUILD/sg-bench-backend" 2>/dev/null || true
sleep 0.3

LG=$BUILD/sg-loadgen
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

"$BUILD/sg-bench-backend" 19001 echo >"$WORK/echo.out" &
PIDS+=($!)
"$BUILD/sg-bench-backend" 19002 source >"$WORK/source.out" &
PIDS+=($!)
"$BUILD/sg-bench-backend" 19003 sink >"$WORK/sink.out" &
PIDS+=($!)
"$BUILD/sg-bench-backend" 19004 stall >>"$WORK/stall.out" &
PIDS+=($!)
(umask 077 && openssl rand -base64 32 >"$WORK/secret")
TOK_ECHO=$("$BUILD/sockgatectl" --secret-file "$WORK/secret" encrypt 127.0.0.1:19001)
TOK_SRC=$("$BUILD/sockgatectl" --secret-file "$WORK/secret" encrypt 127.0.0.1:19002)
TOK_SINK=$("$BUILD/sockgatectl" --secret-file "$WORK/secret" encrypt 127.0.0.1:19003)
TOK_STALL=$("$BUILD/sockgatectl" --secret-file "$WORK/secret" encrypt 127.0.0.1:19004)
sleep 0.5

cat >"$WORK/haproxy.cfg" <<CFG
global
	nbthread 2
	maxconn $FIT
defaults
	mode tcp
	timeout connect 5s
	timeout client 1h
	timeout server 1h
	option splice-auto
listen echo
	bind 127.0.0.1:19101
	server s1 127.0.0.1:19001
listen source
	bind 127.0.0.1:19102
	server s1 127.0.0.1:19002
listen sink
	bind 127.0.0.1:19103
	server s1 127.0.0.1:19003
listen stall
	bind 127.0.0.1:19104
	server s1 127.0.0.1:19004
CFG
cat >"$WORK/nginx.conf" <<CFG
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 2;
worker_rlimit_nofile $NOFILE;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err;
# one worker may take most sessions (no SO_REUSEPORT): room for all
events { worker_connections $((NOFILE - 1000)); }
stream {
	server { listen 127.0.0.1:19201; proxy_pass 127.0.0.1:19001; }
	server { listen 127.0.0.1:19202; proxy_pass 127.0.0.1:19002; }
	server { listen 127.0.0.1:19203; proxy_pass 127.0.0.1:19003; }
	server { listen 127.0.0.1:19204; proxy_pass 127.0.0.1:19004; }
}
CFG

SYSTEMS=${SYSTEMS:-"direct haproxy nginx sockgate-auto sockgate-sockmap sockgate-splice sockgate-copy"}
SYS_PID=

start_system() { # name -> sets ECHO SRC SINK STALL TOK* SYS_PID
	TOKE=() TOKS=() TOKU=() TOKP=()
	case $1 in
	direct) ECHO=127.0.0.1:19001 SRC=127.0.0.1:19002 SINK=127.0.0.1:19003
		STALL=127.0.0.1:19004 SYS_PID= ;;
	haproxy)
		haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
		SYS_PID=$! ECHO=127.0.0.1:19101 SRC=127.0.0.1:19102
		SINK=127.0.0.1:19103 STALL=127.0.0.1:19104 ;;
	nginx)
		nginx -c "$WORK/nginx.conf" >"$WORK/nginx.log" 2>&1 &
		SYS_PID=$! ECHO=127.0.0.1:19201 SRC=127.0.0.1:19202
		SINK=127.0.0.1:19203 STALL=127.0.0.1:19204 ;;
	sockgate-*)
		(cd "$WORK" && exec "$BUILD/sockgate" --addr 127.0.0.1:19301 \
			--secret-file "$WORK/secret" --mode "${1#sockgate-}" \
			--workers 2 --log-level warn --pidfile "$WORK/sg.pid" \
			2>"$WORK/sockgate.log") &
		SYS_PID=$! ECHO=127.0.0.1:19301 SRC=127.0.0.1:19301
		SINK=127.0.0.1:19301 STALL=127.0.0.1:19301
		TOKE=(--token "$TOK_ECHO") TOKS=(--token "$TOK_SRC")
		TOKU=(--token "$TOK_SINK") TOKP=(--token "$TOK_STALL") ;;
	esac
	sleep 0.7
}

stop_system() {
	[ -n "$SYS_PID" ] || return 0
	kill "$SYS_PID" 2>/dev/null || true
	wait "$SYS_PID" 2>/dev/null || true
	pkill -f "nginx -c $WORK/nginx.conf" 2>/dev/null || true
	sleep 0.5
}

# CPU seconds (user+sys) of the system's processes, threads included
cpu_of() {
	local t=0
	[ -n "$SYS_PID" ] || { echo 0; return; }
	# the system's main pid and its children: a list of words
	# shellcheck disable=SC2086
	for p in $SYS_PID $(pgrep -P "$SYS_PID" 2>/dev/null); do
		[ -r "/proc/$p/stat" ] || continue
		t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat)))
	done
	echo "$t"
}
rss_of() { # KiB over the system's processes
	local t=0
	[ -n "$SYS_PID" ] || { echo 0; return; }
	# shellcheck disable=SC2086
	for p in $SYS_PID $(pgrep -P "$SYS_PID" 2>/dev/null); do
		t=$((t + $(awk '/VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
slab_kb() { awk '/^Slab:/ {print $2}' /proc/meminfo; }
# system-wide busy ticks, all CPUs: user, nice, system, irq, softirq (the
# sockmap path works in softirq and kworkers, which no process shows)
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
avail_kb() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }
# CPU-s per GB: ticks, Gbit/s of a run of SECS (+ its 0.5 s warm-up)
per_gb() { awk -v c="$1" -v hz="$HZ" -v g="$2" -v s="$SECS" \
	'BEGIN { gb = g * (s + 0.5) / 8; printf "%.3f", (gb > 0 ? c / hz / gb : 0) }'; }
per_msg() { awk -v c="$1" -v hz="$HZ" -v r="$2" -v s="$SECS" \
	'BEGIN { n = r * (s + 0.5); printf "%.2f", (n > 0 ? c / hz / n * 1e6 : 0) }'; }
# one bulk run: bulk|upload ADDR [token args] -> "Gbit/s process-ticks
# system-ticks"
bulk_once() {
	local c0 b0 c1 b1 out
	c0=$(cpu_of) b0=$(busy_ticks)
	out=$("$LG" "$@" --seconds "$SECS" || true)
	c1=$(cpu_of) b1=$(busy_ticks)
	echo "$(echo "$out" | val gbps) $((c1 - c0)) $((b1 - b0))"
}
# Waits until the machine is quiet (busy under a tenth of its CPUs over
# half a second; at most 10 s): a run that closed thousands of
# connections leaves the kernel work, and this shared machine has its own
# bursts, which a message-rate window would otherwise be charged for
settle() {
	local cap=$(($(nproc) * HZ / 20)) b0 b1
	for _ in $(seq 20); do
		b0=$(busy_ticks)
		sleep 0.5
		b1=$(busy_ticks)
		[ $((b1 - b0)) -le "$cap" ] && return 0
	done
	echo "bench: the machine stayed busy ($((b1 - b0)) ticks in 0.5 s)" >&2
}
# us of busy CPU per message: ticks over a window of SECS (or $3), msg/s
win_msg() { awk -v c="$1" -v hz="$HZ" -v r="$2" -v s="${3:-$SECS}" \
	'BEGIN { n = r * s; if (c == "" || n <= 0) print ""; else printf "%.2f", c / hz / n * 1e6 }'; }
pct_busy() { awk -v c="$1" -v hz="$HZ" -v s="$SECS" 'BEGIN { printf "%.1f", c / hz / (s + 0.5) * 100 }'; }
val() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

CSV=$RES/latest.csv
echo "system,metric,value" >"$CSV"
put() { echo "$1,$2,$3" >>"$CSV"; }
put meta run "$(date -u +%Y-%m-%dT%H:%MZ)"
HZ=$(getconf CLK_TCK)

# The runs go round the systems REPEAT times, so that a noisy minute on
# this shared machine (its busy ticks swing by several times) falls on
# one run of each, not on every run of one system; medians per system.
declare -A runs=()
for rep in $(seq "$REPEAT"); do
	for sys in $SYSTEMS; do
		echo "bench: $sys, run $rep of $REPEAT"
		start_system "$sys"
		rec() { runs[$sys.$1]+="$2 "; }
		# CPU seconds per GB moved (the measured window plus warm-up):
		# the system's processes, and the whole machine
		read -r g pc sc <<<"$(bulk_once bulk "$SRC" "${TOKS[@]}")"
		rec bulk "$g"
		rec cpu_gb "$(per_gb "$pc" "$g")"
		rec sys_gb "$(per_gb "$sc" "$g")"
		rec proc_busy "$(pct_busy "$pc")"
		read -r g pc sc <<<"$(bulk_once upload "$SINK" "${TOKU[@]}")"
		rec upload "$g"
		rec sys_up_gb "$(per_gb "$sc" "$g")"
		rec proc_busy_up "$(pct_busy "$pc")"
		settle
		b0=$(busy_ticks)
		out=$("$LG" rr "$ECHO" "${TOKE[@]}" --conns 200 --seconds "$SECS" || true)
		b1=$(busy_ticks)
		rate=$(echo "$out" | val rate)
		rec rr200_rate "$rate"
		rec sys_us_msg "$(per_msg $((b1 - b0)) "$rate")"
		out=$("$LG" rr "$ECHO" "${TOKE[@]}" --conns 1 --seconds "$SECS" || true)
		rec rr1_p50 "$(echo "$out" | val p50_us)"
		rec rr1_p99 "$(echo "$out" | val p99_us)"
		rec rr1_p999 "$(echo "$out" | val p999_us)"
		settle
		c0=$(cpu_of)
		out=$("$LG" rr "$ECHO" "${TOKE[@]}" --conns "$CONNS" --seconds "$SECS" || true)
		c1=$(cpu_of)
		rate=$(echo "$out" | val rate)
		rec rrN_rate "$rate"
		rec rrN_p99 "$(echo "$out" | val p99_us)"
		rec cpu_us_msg "$(per_msg $((c1 - c0)) "$rate")"
		# the machine's busy CPU over the loadgen's measured window
		rec rrN_sys_us "$(win_msg "$(echo "$out" | val busy_ticks)" "$rate")"
		# paced: each connection sends 128 B ten times a second
		for pc in $PACED; do
			settle
			# twice as long: a CPU figure per message of a light
			# load needs the ticks
			out=$("$LG" paced "$ECHO" "${TOKE[@]}" --conns "$pc" --rate 10 \
				--size 128 --seconds $((SECS * 2)) || true)
			rate=$(echo "$out" | val rate)
			rec "paced${pc}_rate" "$rate"
			rec "paced${pc}_p50" "$(echo "$out" | val p50_us)"
			rec "paced${pc}_p99" "$(echo "$out" | val p99_us)"
			rec "paced${pc}_p999" "$(echo "$out" | val p999_us)"
			rec "paced${pc}_sys_us" "$(win_msg "$(echo "$out" | val busy_ticks)" "$rate" $((SECS * 2)))"
		done
		out=$("$LG" conn "$ECHO" "${TOKE[@]}" --conns 50 --seconds "$SECS" || true)
		rec conn_cps "$(echo "$out" | val cps)"
		case $sys in sockgate-*)
			# the request right behind the token line, as the
			# protocol allows: what a client gains by not waiting
			out=$("$LG" conn "$ECHO" "${TOKE[@]}" --conns 50 --pipeline 1 \
				--seconds "$SECS" || true)
			rec conn_pipe_cps "$(echo "$out" | val cps)" ;;
		esac
		stop_system
	done
done
for k in "${!runs[@]}"; do
	put "${k%%.*}" "${k#*.}" "$(echo "${runs[$k]}" | tr ' ' '\n' | grep . | median)"
done

for sys in $SYSTEMS; do
	start_system "$sys"
	# 1 GB into a backend that reads nothing for 4 s, then everything:
	# the largest drop of MemAvailable while it goes, and whether every
	# byte arrived
	if [ "$sys" != direct ]; then
		: >"$WORK/stall.out"
		m0=$(avail_kb) low=$m0
		"$LG" push "$STALL" "${TOKP[@]}" --bytes 1000000000 >"$WORK/push.out" 2>&1 &
		lp=$!
		while kill -0 $lp 2>/dev/null; do
			m=$(avail_kb)
			[ "$m" -lt "$low" ] && low=$m
			sleep 0.1
		done
		wait $lp || true
		sleep 0.3
		put "$sys" stall_mb $(((m0 - low) / 1024))
		if grep -q "got=1000000000" "$WORK/stall.out"; then
			put "$sys" stall_bytes ok
		else
			put "$sys" stall_bytes "lost"
		fi
	fi
	for n in $(idle_counts "$sys"); do
		[ "$sys" = direct ] && continue
		# a fresh process: heap freed by the earlier loads would hide
		# what the sessions cost
		stop_system
		start_system "$sys"
		sleep 1
		# warm-up: 200 sessions opened and closed first, so that the
		# code pages and per-thread heaps the first sessions fault in
		# (2-4 MB, once per process) are not charged to each session
		"$LG" idle "$ECHO" "${TOKE[@]}" --conns 200 --seconds 1 >/dev/null || true
		sleep 1.5
		rss0=$(rss_of) slab0=$(slab_kb)
		"$LG" idle "$ECHO" "${TOKE[@]}" --conns "$n" --seconds 6 >"$WORK/idle.out" &
		lp=$!
		for _ in $(seq 600); do
			grep -q held "$WORK/idle.out" && break
			kill -0 $lp 2>/dev/null || break
			sleep 0.5
		done
		sleep 3 # past sockgate's heap trim, a second after the frees
		rss1=$(rss_of) slab1=$(slab_kb)
		wait $lp || true
		if grep -q "held $n" "$WORK/idle.out"; then
			put "$sys" "idle${n}_user_B" $(((rss1 - rss0) * 1024 / n))
			put "$sys" "idle${n}_slab_B" $(((slab1 - slab0) * 1024 / n))
		else
			put "$sys" "idle${n}_user_B" "fail"
		fi
	done
	stop_system
done

# past the fd limit: 10,000 and 100,000 idle sessions in a VM, where it
# can be raised (software emulation: about 5 minutes)
if [ -z "$QUICK" ] && [ -z "${NO_VM:-}" ]; then
	bash "$HERE/vm-idle.sh" "$BUILD" "$CSV" "10000 100000" \
		"sockgate-sockmap sockgate-auto haproxy nginx" ||
		echo "bench: the VM idle run failed (build/vmbench/guest.log)"
fi

bash "$HERE/report.sh" "$CSV" "$RES"
