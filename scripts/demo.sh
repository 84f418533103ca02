#!/bin/sh
# make run: an echo backend, a generated secret, the gateway on
# 127.0.0.1:8000 (SOCKGATE_DEMO_ADDR=HOST:PORT for another) in the
# foreground, and a token to try it with. Exits with the gateway's
# status: not 0 when it could not start.
set -eu
B=${1:-build}
SECRET_FILE=$B/demo.secret
LISTEN=${SOCKGATE_DEMO_ADDR:-127.0.0.1:8000}

if [ ! -s "$SECRET_FILE" ]; then
	umask 077
	openssl rand -base64 32 >"$SECRET_FILE"
fi
rm -f "$B/demo.echo-port" # a stale one would be read before ours is written
"$B/sg-echo" >"$B/demo.echo-port" &
ECHO_PID=$!
trap 'kill $ECHO_PID 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 50); do
	[ -s "$B/demo.echo-port" ] && break
	sleep 0.1
done
[ -s "$B/demo.echo-port" ] || { echo "demo: the echo backend did not start" >&2; exit 1; }
ECHO_ADDR=127.0.0.1:$(cat "$B/demo.echo-port")
TOKEN=$("$B/sockgatectl" --secret-file "$SECRET_FILE" encrypt "$ECHO_ADDR")

cat <<MSG
sockgate demo
  secret file : $SECRET_FILE
  backend     : echo server on $ECHO_ADDR
  token       : $TOKEN
Try it from another shell:
  echo hello | $B/sockgatectl connect $LISTEN $TOKEN
Ctrl-C stops the gateway.
MSG
rc=0
"$B/sockgate" --addr "$LISTEN" --secret-file "$SECRET_FILE" \
	--pidfile "$B/gateway.pid" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "demo: the gateway could not start on $LISTEN (exit $rc);" \
		"SOCKGATE_DEMO_ADDR=127.0.0.1:PORT make run picks another" \
		"address" >&2
	exit "$rc"
fi
