#!/bin/bash
# make bench-discovery: what naming a backend costs a handshake. The same
# gateway, backend and load generator, connections per second (conn mode:
# connect, handshake, one echo, close) for tokens that name
#   literal  127.0.0.1:PORT           no lookup
#   name     be.sg.test:PORT          A and AAAA from dnsmasq
#   srv      _echo._tcp.sg.test       SRV, then the target's A and AAAA
# and direct loopback without a gateway, REPEAT runs each, interleaved;
# with the system-wide CPU time each connection cost.
#   bench/discovery.sh BUILD_DIR   (SECS, REPEAT, CONNS from the environment)
set -euo pipefail
BUILD=$(realpath "$1")
SECS=${SECS:-5} REPEAT=${REPEAT:-3} CONNS=${CONNS:-64}
WORK=$BUILD/bench-discovery
mkdir -p "$WORK"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

"$BUILD/sg-bench-backend" 19011 echo >"$WORK/echo.out" &
PIDS+=($!)
dnsmasq --keep-in-foreground --conf-file=/dev/null --port=19053 \
	--listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
	--user=root --pid-file= --local=/sg.test/ \
	--srv-host=_echo._tcp.sg.test,be.sg.test,19011 \
	--host-record=be.sg.test,127.0.0.1 2>"$WORK/dnsmasq.log" &
PIDS+=($!)
(umask 077 && openssl rand -base64 32 >"$WORK/secret")
"$BUILD/sockgate" --secret-file "$WORK/secret" --addr 127.0.0.1:19010 \
	--dns-server 127.0.0.1:19053 --pidfile "" --log-level warn \
	--max-conns-per-ip 0 2>"$WORK/gw.log" &
PIDS+=($!)
sleep 1
tok() { "$BUILD/sockgatectl" --secret-file "$WORK/secret" encrypt "$1"; }
declare -A TOKEN=([literal]=$(tok 127.0.0.1:19011) [name]=$(tok be.sg.test:19011)
	[srv]=$(tok _echo._tcp.sg.test))

# system-wide busy jiffies (every CPU, softirq included): user nice
# system irq softirq steal of /proc/stat's first line
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
HZ=$(getconf CLK_TCK)

run() { # kind -> "conn/s cpu-us-per-connection" of one run
	local b0 b1 cps
	b0=$(busy)
	if [ "$1" = direct ]; then
		cps=$("$BUILD/sg-loadgen" conn 127.0.0.1:19011 --conns "$CONNS" \
			--seconds "$SECS" | sed -n "s/^cps=//p")
	else
		cps=$("$BUILD/sg-loadgen" conn 127.0.0.1:19010 --token "${TOKEN[$1]}" \
			--conns "$CONNS" --seconds "$SECS" | sed -n "s/^cps=//p")
	fi
	b1=$(busy)
	awk -v c="$cps" -v j=$((b1 - b0)) -v hz="$HZ" -v s="$SECS" \
		'BEGIN {printf "%s %.1f\n", c, j / hz * 1e6 / (c * s)}'
}

declare -A CPS CPU
for _ in $(seq "$REPEAT"); do
	for k in direct literal name srv; do
		read -r c u < <(run "$k")
		CPS[$k]="${CPS[$k]:-} $c"
		CPU[$k]="${CPU[$k]:-} $u"
	done
done
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| token names | conn/s (median of $REPEAT) | runs | vs literal | CPU us a connection, system-wide | the same minus direct's |"
echo "|---|---|---|---|---|---|"
lit=$(echo "${CPS[literal]}" | median)
dcpu=$(echo "${CPU[direct]}" | median)
for k in direct literal name srv; do
	m=$(echo "${CPS[$k]}" | median)
	u=$(echo "${CPU[$k]}" | median)
	echo "| $k | $m | ${CPS[$k]# } | $(awk -v a="$m" -v b="$lit" 'BEGIN {printf "%.2fx", a / b}') | $u (${CPU[$k]# }) | $(awk -v a="$u" -v b="$dcpu" 'BEGIN {printf "%.1f", a - b}') |"
done
echo
echo "CPU: busy time of every CPU from /proc/stat over each run (softirq and"
echo "kworkers included; the load generator, backend and dnsmasq too), per"
echo "connection made; minus direct loopback's leaves the gateway's and DNS's."
