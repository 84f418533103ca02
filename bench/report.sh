#!/bin/bash
# Turns bench/results/latest.csv into latest.md (with ratios to HAProxy
# and to direct loopback, and the targets) and PNG plots.
set -euo pipefail
CSV=$1
RES=$2
MD=$RES/latest.md
get() { awk -F, -v s="$1" -v m="$2" '$1 == s && $2 == m { print $3 }' "$CSV"; }
SYSTEMS="direct haproxy nginx sockgate-auto sockgate-sockmap sockgate-splice sockgate-copy"
METRICS="bulk:bulk_Gbit/s rr1_p50:RR_p50_us rr1_p99:RR_p99_us rr1_p999:RR_p99.9_us rrN_rate:1000-conn_msg/s rrN_p99:1000-conn_p99_us conn_cps:conn/s conn_pipe_cps:conn/s_pipelined cpu_gb:CPU_s/GB cpu_us_msg:CPU_us/msg"
# target NAME SYSTEM -> "wanted;measured;met|not met"
target() {
	local s=$2 si
	# the largest idle count measured: the VM's 100,000 when it ran
	si=$(awk -F, -v s="$s" '$1 == s && $2 ~ /^(vm_)?idle[0-9]*_user_B$/ && $3 != "fail" {
		n = $2; gsub(/[^0-9]/, "", n); if (n + 0 >= best) { best = n + 0; v = $3 } }
		END { if (v != "") print v " " best }' "$CSV")
	awk -v t="$1" -v sb="$(get "$s" bulk)" -v hb="$(get haproxy bulk)" \
	    -v db="$(get direct bulk)" -v d50="$(get direct rr1_p50)" \
	    -v d99="$(get direct rr1_p99)" -v h50="$(get haproxy rr1_p50)" \
	    -v h99="$(get haproxy rr1_p99)" -v s50="$(get "$s" rr1_p50)" \
	    -v s99="$(get "$s" rr1_p99)" -v sr="$(get "$s" rrN_rate)" \
	    -v hr="$(get haproxy rrN_rate)" -v sp="$(get "$s" rrN_p99)" \
	    -v hp="$(get haproxy rrN_p99)" -v sc="$(get "$s" conn_cps)" \
	    -v hc="$(get haproxy conn_cps)" -v si="$si" '
	function out(want, got, ok) { printf "%s;%s;%s\n", want, got, ok ? "met" : "not met" }
	BEGIN {
		if (t == "bulk_h") out(">= 1.5x", sprintf("%.2fx", sb / hb), sb >= 1.5 * hb)
		if (t == "bulk_d") out(">= 0.5x", sprintf("%.2fx", sb / db), sb >= 0.5 * db)
		if (t == "p50") { a = s50 - d50; b = h50 - d50
			out("<= 1/4", sprintf("%.1f / %.1f us", a, b), a <= b / 4) }
		if (t == "p99") { a = s99 - d99; b = h99 - d99
			out("<= 1/2", sprintf("%.1f / %.1f us", a, b), a <= b / 2) }
		if (t == "rate") out(">= 2x", sprintf("%.2fx", sr / hr), sr >= 2 * hr)
		if (t == "rate_p99") out("<= HAProxy", sprintf("%.0f / %.0f us", sp, hp), sp <= hp)
		if (t == "conn") out(">= 1x", sprintf("%.2fx", sc / hc), sc >= hc)
		if (t == "mem") { split(si, m, " ")
			out("<= 256 B", m[1] " B at " m[2], si != "" && m[1] + 0 <= 256) }
	}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }

{
	echo "# sockgate benchmark"
	echo
	echo "Run: $(get meta run), $(uname -r), $(nproc) CPUs, loopback."
	echo "Every system is measured in the same run against the same backends"
	echo "with the same load generator (bench/loadgen.c); medians of the runs."
	echo "Cells: value (x HAProxy, x direct)."
	echo
	printf "| system |"
	for m in $METRICS; do printf " %s |" "$(echo "${m#*:}" | tr _ ' ')"; done
	echo
	printf "|---|"
	for _ in $METRICS; do printf -- "---|"; done
	echo
	for s in $SYSTEMS; do
		printf "| %s |" "$s"
		for m in $METRICS; do
			k=${m%%:*}
			v=$(get "$s" "$k")
			if [ -z "$v" ]; then printf " - |"; continue; fi
			printf " %s (%s, %s) |" "$v" "$(ratio "$v" "$(get haproxy "$k")")" \
				"$(ratio "$v" "$(get direct "$k")")"
		done
		echo
	done
	echo
	echo "conn/s pipelined: the client sends its first request right behind the"
	echo "token line, as the protocol allows (sockgate only; the other systems"
	echo "have no handshake to wait for)."
	echo
	echo "Idle sessions held (idleN: N sessions; the fd limit here was $(ulimit -Hn), so each"
	echo "system holds what fits: two fds a session in a proxy, six for splice with"
	echo "its pipes): memory per session, bytes"
	echo
	echo "| system | metric | value |"
	echo "|---|---|---|"
	awk -F, '$2 ~ /^idle/ { print "| " $1 " | " $2 " | " $3 " |" }' "$CSV"
	echo
	if grep -q ',vm_idle' "$CSV"; then
		echo "Past the fd limit, in a VM (bench/vm-idle.sh: Debian kernel"
		echo "$(get vm kernel) under QEMU, fd limit raised, 2 vCPUs): bytes per"
		echo "idle session, and the seconds it took to open them"
		echo
		printf "| system |"
		cols=$(awk -F, '$2 ~ /^vm_idle/ { sub(/^vm_/, "", $2); print $2 }' "$CSV" | awk '!seen[$0]++')
		for c in $cols; do printf " %s |" "$c"; done
		echo
		printf "|---|"
		for _ in $cols; do printf -- "---|"; done
		echo
		awk -F, '$2 ~ /^vm_idle/ { print $1 }' "$CSV" | awk '!seen[$0]++' |
		while read -r s; do
			printf "| %s |" "$s"
			for c in $cols; do printf " %s |" "$(get "$s" "vm_$c")"; done
			echo
		done
		echo
	fi
	echo "## Targets (sockgate against the peers of this run)"
	echo
	echo "auto is the default: each session starts on copy; one that streams"
	echo "(--promote-rate) after 50 ms moves to sockmap (splice if no read takes"
	echo "all its socket holds), idle and chatty ones stay on copy; sockmap puts"
	echo "every session in the kernel path."
	echo
	echo "| target | wanted | auto | | sockmap | |"
	echo "|---|---|---|---|---|---|"
	for t in bulk_h bulk_d p50 p99 rate rate_p99 conn mem; do
		printf "| %s |" "$t"
		w=
		for s in sockgate-auto sockgate-sockmap; do
			cell=$(target "$t" "$s")
			[ -z "$w" ] && { w=1; printf " %s |" "${cell%%;*}"; }
			cell=${cell#*;}
			printf " %s |" "${cell/;/ | }"
		done
		echo
	done | sed 's/^| bulk_h |/| bulk vs HAProxy |/; s/^| bulk_d |/| bulk vs direct |/;
		s/^| p50 |/| RR p50 added vs HAProxy added |/; s/^| p99 |/| RR p99 added vs HAProxy added |/;
		s/^| rate |/| 1000-conn msg\/s vs HAProxy |/; s/^| rate_p99 |/| 1000-conn p99 vs HAProxy |/;
		s/^| conn |/| conn\/s vs HAProxy |/; s/^| mem |/| user memory per idle session |/'
	echo
	echo "## Where the CPU goes, and the kernel path's targets"
	echo
	echo "System-wide busy time from /proc/stat over each run (user, nice,"
	echo "system, irq and softirq of all CPUs: the sockmap path works in"
	echo "softirq and kworker threads, which no process's own time shows),"
	echo "per GB moved and per 64-byte message on 200 connections; in"
	echo "brackets the same minus direct loopback's (what the proxy adds)."
	echo "Process busy: the system's own processes, % of the wall time of the"
	echo "bulk runs. Stall: 1 GB pushed into a backend that reads nothing for"
	echo "4 s, then everything: the largest drop of MemAvailable meanwhile."
	echo
	echo "| system | bulk down Gbit/s | CPU-s/GB down | bulk up Gbit/s | CPU-s/GB up | 200-conn msg/s | CPU us/msg | process busy down/up % | stall MB | stall bytes |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	for s in $SYSTEMS; do
		marg() { awk -v a="$1" -v d="$2" 'BEGIN { if (a == "") print "-"; else if (d == "") print a; else printf "%s (%+.3f)", a, a - d }'; }
		printf "| %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s |\n" "$s" \
			"$(get "$s" bulk)" "$(marg "$(get "$s" sys_gb)" "$(get direct sys_gb)")" \
			"$(get "$s" upload)" "$(marg "$(get "$s" sys_up_gb)" "$(get direct sys_up_gb)")" \
			"$(get "$s" rr200_rate)" "$(marg "$(get "$s" sys_us_msg)" "$(get direct sys_us_msg)")" \
			"$(get "$s" proc_busy)" "$(get "$s" proc_busy_up)" \
			"$(get "$s" stall_mb)" "$(get "$s" stall_bytes)"
	done
	echo
	echo "| target (kernel path) | wanted | measured | |"
	echo "|---|---|---|---|"
	k10() { # label wanted value ok
		printf "| %s | %s | %s | %s |\n" "$1" "$2" "$3" "$([ "$4" = 1 ] && echo met || echo "not met")"
	}
	cmp() { awk -v a="$1" -v b="$2" -v op="$3" -v x="$4" 'BEGIN {
		if (a == "" || b == "" || b == 0) { print "- 0"; exit }
		r = a / b; ok = (op == ">=") ? r >= x : r <= x
		printf "%.2fx %d\n", r, ok }'; }
	for dir in down up; do
		bm=bulk; cm=sys_gb; pm=proc_busy
		[ $dir = up ] && { bm=upload; cm=sys_up_gb; pm=proc_busy_up; }
		read -r v ok <<<"$(cmp "$(get sockgate-sockmap $bm)" "$(get haproxy $bm)" ">=" 1.5)"
		k10 "sockmap bulk $dir vs HAProxy" ">= 1.5x" "$v" "$ok"
		read -r v ok <<<"$(cmp "$(get sockgate-sockmap $bm)" "$(get sockgate-splice $bm)" ">=" 1.3)"
		k10 "sockmap bulk $dir vs splice" ">= 1.3x" "$v" "$ok"
		read -r v ok <<<"$(cmp "$(get sockgate-sockmap $cm)" "$(get haproxy $cm)" "<=" 0.7)"
		k10 "sockmap system CPU/GB $dir vs HAProxy" "<= 0.7x" "$v" "$ok"
		b=$(get sockgate-sockmap $pm)
		k10 "sockmap gateway process busy, $dir" "< 10%" "${b:--}%" \
			"$(awk -v b="$b" 'BEGIN { print (b != "" && b < 10) ? 1 : 0 }')"
		read -r v ok <<<"$(cmp "$(get sockgate-auto $bm)" "$(get haproxy $bm)" ">=" 1.4)"
		k10 "auto bulk $dir vs HAProxy" ">= 1.4x" "$v" "$ok"
	done
	sm=$(get sockgate-sockmap stall_mb)
	k10 "sockmap: 1 GB into a backend stalled 4 s" "every byte, <= 256 MB" \
		"$(get sockgate-sockmap stall_bytes), ${sm:--} MB" \
		"$(awk -v m="$sm" -v b="$(get sockgate-sockmap stall_bytes)" 'BEGIN { print (b == "ok" && m != "" && m <= 256) ? 1 : 0 }')"
	for s in sockgate-sockmap sockgate-auto; do
		read -r v ok <<<"$(awk -v a="$(get $s sys_us_msg)" -v h="$(get haproxy sys_us_msg)" -v d="$(get direct sys_us_msg)" 'BEGIN {
			if (a == "" || h == "" || d == "" || h - d <= 0) { print "- 0"; exit }
			r = (a - d) / (h - d); printf "%.2fx(%.2f/%.2fus) %d\n", r, a - d, h - d, r <= 0.5 }')"
		k10 "${s#sockgate-}: CPU per 64-byte message above direct's, vs HAProxy's" "<= 0.5x" "$v" "$ok"
	done
	echo
	echo "## Connection storms, saturated small messages, paced players, memory"
	echo
	echo "conn/s: 50 clients in a loop of connect, token, one 64 B echo, close."
	echo "Saturated: 1000 connections in 64 B ping-pong as fast as they go."
	echo "Paced: N connections, each sending 128 B ten times a second to the"
	echo "echo backend, sends spread evenly (one epoll client thread); round"
	echo "trips in us. CPU: the machine's busy time over the load generator's"
	echo "measured window (softirq and kworkers included) per message, in"
	echo "brackets above direct loopback's; each window starts once the"
	echo "machine is quiet (under a tenth of its CPUs busy for half a second),"
	echo "and the paced ones last twice the others."
	echo
	echo "| system | conn/s | 1000-conn msg/s | CPU us/msg | paced 1000 p50 / p99 / p99.9 | CPU us/msg | paced 2000 p50 / p99 / p99.9 | CPU us/msg |"
	echo "|---|---|---|---|---|---|---|---|"
	for s in $SYSTEMS; do
		pm() { awk -v a="$(get "$s" "$1")" -v d="$(get direct "$1")" 'BEGIN {
			if (a == "") print "-"; else if (d == "") print a; else printf "%s (%+.2f)", a, a - d }'; }
		printf "| %s | %s | %s | %s | %s / %s / %s | %s | %s / %s / %s | %s |\n" "$s" \
			"$(get "$s" conn_cps)" "$(get "$s" rrN_rate)" "$(pm rrN_sys_us)" \
			"$(get "$s" paced1000_p50)" "$(get "$s" paced1000_p99)" "$(get "$s" paced1000_p999)" \
			"$(pm paced1000_sys_us)" \
			"$(get "$s" paced2000_p50)" "$(get "$s" paced2000_p99)" "$(get "$s" paced2000_p999)" \
			"$(pm paced2000_sys_us)"
	done
	echo
	echo "| target (HAProxy of this run = 1) | wanted | measured | |"
	echo "|---|---|---|---|"
	vs() { # label system metric op x
		read -r v ok <<<"$(cmp "$(get "$2" "$3")" "$(get haproxy "$3")" "$4" "$5")"
		k10 "$1" "$4 ${5}x" "$v" "$ok"
	}
	above() { # label system metric x: (s - direct) / (haproxy - direct) <= x
		read -r v ok <<<"$(awk -v a="$(get "$2" "$3")" -v h="$(get haproxy "$3")" \
			-v d="$(get direct "$3")" -v x="$4" 'BEGIN {
			if (a == "" || h == "" || d == "" || h - d <= 0) { print "- 0"; exit }
			r = (a - d) / (h - d); printf "%.2fx(%.2f/%.2fus) %d\n", r, a - d, h - d, r <= x }')"
		k10 "$1" "<= ${4}x" "$v" "$ok"
	}
	vs "auto conn/s" sockgate-auto conn_cps ">=" 1.1
	vs "sockmap conn/s" sockgate-sockmap conn_cps ">=" 1.0
	vs "auto saturated 64 B msg/s, 1000 connections" sockgate-auto rrN_rate ">=" 1.2
	vs "auto system CPU per saturated message" sockgate-auto rrN_sys_us "<=" 0.8
	for pc in 1000 2000; do
		above "auto paced $pc x 10/s: CPU per message above direct's" \
			sockgate-auto "paced${pc}_sys_us" 0.6
		vs "auto paced $pc x 10/s: p99" sockgate-auto "paced${pc}_p99" "<=" 0.5
	done
	for s in sockgate-auto sockgate-sockmap; do
		read -r v ok <<<"$(awk -v su="$(get $s vm_idle100000_user_B)" \
			-v sk="$(get $s vm_idle100000_slab_B)" \
			-v hu="$(get haproxy vm_idle100000_user_B)" \
			-v hk="$(get haproxy vm_idle100000_slab_B)" 'BEGIN {
			if (su == "" || hu == "" || hu == "fail" || su == "fail") { print "- 0"; exit }
			r = (su + sk) / (hu + hk)
			printf "%.2fx(%d/%dB) %d\n", r, su + sk, hu + hk, r <= 0.9 }')"
		k10 "${s#sockgate-}: user + kernel memory per idle session at 100,000 (VM)" \
			"<= 0.9x" "$v" "$ok"
	done
	su=$(get sockgate-sockmap vm_idle100000_user_B)
	k10 "sockmap: user memory per idle session at 100,000 (VM), not to regress" \
		"<= 232 B" "${su:--} B" "$(awk -v u="$su" 'BEGIN { print (u != "" && u + 0 <= 232) ? 1 : 0 }')"
	echo
	echo "TLS handshakes against HAProxy's: bench/results/edge.md."
	echo
	echo "Plots: bulk.png, latency.png, rate.png, conns.png"
} >"$MD"

# plots
plot() { # file title metric...
	local out=$1 title=$2
	shift 2
	local dat=$RES/${out%.png}.dat
	{
		printf "system"
		for m in "$@"; do printf " %s" "$m"; done
		echo
		for s in $SYSTEMS; do
			printf "%s" "$s"
			for m in "$@"; do v=$(get "$s" "$m"); printf " %s" "${v:-0}"; done
			echo
		done
	} >"$dat"
	local cols=""
	local i=2
	for m in "$@"; do
		cols="$cols${cols:+, }'$dat' using $i:xtic(1) title '$m'"
		i=$((i + 1))
	done
	gnuplot <<GP
set terminal png size 900,450 noenhanced
set output '$RES/$out'
set title '$title'
set style data histograms
set style fill solid 0.8 border -1
set key top left
set xtics rotate by -20
set yrange [0:*]
plot $cols
GP
	rm -f "$dat"
}
if command -v gnuplot >/dev/null; then
	plot bulk.png "Bulk stream, Gbit/s (higher is better)" bulk
	plot latency.png "64-byte round trip, 1 connection, us (lower is better)" rr1_p50 rr1_p99
	plot rate.png "64-byte messages/s on 1000 connections (higher is better)" rrN_rate
	plot conns.png "Connections/s: connect, handshake, echo, close" conn_cps conn_pipe_cps
fi
cat "$MD"
