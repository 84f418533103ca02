#!/bin/bash
# Turns bench/results/latest.csv into latest.md (with ratios to HAProxy
# and to direct loopback, and the issue's targets) and PNG plots.
set -euo pipefail
CSV=$1
RES=$2
MD=$RES/latest.md
get() { awk -F, -v s="$1" -v m="$2" '$1 == s && $2 == m { print $3 }' "$CSV"; }
SYSTEMS="direct haproxy nginx sockgate-sockmap sockgate-splice sockgate-copy"
METRICS="bulk:bulk_Gbit/s rr1_p50:RR_p50_us rr1_p99:RR_p99_us rr1_p999:RR_p99.9_us rrN_rate:1000-conn_msg/s rrN_p99:1000-conn_p99_us conn_cps:conn/s cpu_gb:CPU_s/GB cpu_us_msg:CPU_us/msg"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }

{
	echo "# sockgate benchmark"
	echo
	echo "Run: $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs, loopback."
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
	echo "Idle sessions held (idleN: N sessions; the fd limit here was $(ulimit -Hn), two fds a"
	echo "session in a proxy): memory per session, bytes"
	echo
	echo "| system | metric | value |"
	echo "|---|---|---|"
	awk -F, '$2 ~ /^idle/ { print "| " $1 " | " $2 " | " $3 " |" }' "$CSV"
	echo
	echo "## Targets (sockgate-sockmap against the peers of this run)"
	echo
	d50=$(get direct rr1_p50) d99=$(get direct rr1_p99)
	h50=$(get haproxy rr1_p50) h99=$(get haproxy rr1_p99)
	s50=$(get sockgate-sockmap rr1_p50) s99=$(get sockgate-sockmap rr1_p99)
	awk -v sb="$(get sockgate-sockmap bulk)" -v hb="$(get haproxy bulk)" \
	    -v db="$(get direct bulk)" -v d50="$d50" -v d99="$d99" -v h50="$h50" \
	    -v h99="$h99" -v s50="$s50" -v s99="$s99" \
	    -v sr="$(get sockgate-sockmap rrN_rate)" -v hr="$(get haproxy rrN_rate)" \
	    -v sp="$(get sockgate-sockmap rrN_p99)" -v hp="$(get haproxy rrN_p99)" \
	    -v sc="$(get sockgate-sockmap conn_cps)" -v hc="$(get haproxy conn_cps)" \
	    -v si="$(awk -F, '$1 == "sockgate-sockmap" && $2 ~ /^idle.*_user_B/ { v = $3 } END { print v }' "$CSV")" '
	function row(name, got, want, ok) {
		printf "| %s | %s | %s | %s |\n", name, got, want, ok ? "met" : "not met"
	}
	BEGIN {
		print "| target | measured | wanted | |"
		print "|---|---|---|---|"
		row("bulk vs HAProxy", sprintf("%.2fx", sb / hb), ">= 1.5x", sb >= 1.5 * hb)
		row("bulk vs direct", sprintf("%.2fx", sb / db), ">= 0.5x", sb >= 0.5 * db)
		a = s50 - d50; b = h50 - d50
		row("p50 added vs HAProxy added", sprintf("%.1f / %.1f us", a, b), "<= 1/4", a <= b / 4)
		a = s99 - d99; b = h99 - d99
		row("p99 added vs HAProxy added", sprintf("%.1f / %.1f us", a, b), "<= 1/2", a <= b / 2)
		row("1000-conn msg/s vs HAProxy", sprintf("%.2fx", sr / hr), ">= 2x", sr >= 2 * hr)
		row("1000-conn p99 vs HAProxy", sprintf("%.0f / %.0f us", sp, hp), "<=", sp <= hp)
		row("conn/s vs HAProxy", sprintf("%.2fx", sc / hc), ">= 1x", sc >= hc)
		row("user memory per idle session", si " B", "<= 256 B", si != "" && si <= 256)
	}'
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
	plot conns.png "Connections/s: connect, handshake, echo, close" conn_cps
fi
cat "$MD"
