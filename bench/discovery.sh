#!/bin/bash
# make bench-discovery: what naming a backend costs a handshake. The same
# gateway, backend and load generator, connections per second (conn mode:
# connect, handshake, one echo, close) for tokens that name
#   literal  127.0.0.1:PORT           no lookup
#   name     be.sg.test:PORT          A and AAAA from dnsmasq
#   srv      _echo._tcp.sg.test       SRV, then the target's A and AAAA
# and direct loopback without a gateway, REPEAT runs each, interleaved.
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

run() { # kind -> conn/s of one run
	if [ "$1" = direct ]; then
		"$BUILD/sg-loadgen" conn 127.0.0.1:19011 --conns "$CONNS" --seconds "$SECS"
	else
		"$BUILD/sg-loadgen" conn 127.0.0.1:19010 --token "${TOKEN[$1]}" \
			--conns "$CONNS" --seconds "$SECS"
	fi | sed -n "s/^cps=//p"
}

declare -A ALL
for _ in $(seq "$REPEAT"); do
	for k in direct literal name srv; do
		ALL[$k]="${ALL[$k]:-} $(run "$k")"
	done
done
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| token names | conn/s (median of $REPEAT) | runs | vs literal |"
echo "|---|---|---|---|"
lit=$(echo "${ALL[literal]}" | median)
for k in direct literal name srv; do
	m=$(echo "${ALL[$k]}" | median)
	echo "| $k | $m | ${ALL[$k]# } | $(awk -v a="$m" -v b="$lit" 'BEGIN {printf "%.2fx", a / b}') |"
done
