#!/bin/sh
# Runs in the booted root as a systemd unit once the system is up
# (vmtest/systemd.sh): the installed package under a real systemd. Each
# check prints SGBOOT-OK or SGBOOT-FAIL; SGBOOT-DONE ends the run.
fails=0
ok() { echo "SGBOOT-OK $*"; }
bad() {
	echo "SGBOOT-FAIL $*"
	fails=$((fails + 1))
}
check() { # check WHAT COMMAND...
	what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
metric() { curl -s 127.0.0.1:9100/metrics | sed -n "s/^$1 //p"; }
# waits up to 60 s for a command to succeed
until_ok() {
	for _ in $(seq 120); do
		"$@" && return 0
		sleep 0.5
	done
	return 1
}
main_pid() { systemctl show -p MainPID --value sockgate; }

echo "SGBOOT-KERNEL $(uname -r), systemd $(systemctl --version | head -1)"
umask 077 # secrets, as sockgatectl wants them: others may not read
# the operator's steps: a secret, then the configuration
head -c 32 /dev/urandom | base64 >/etc/sockgate/secret
chgrp sockgate /etc/sockgate/secret
chmod 0640 /etc/sockgate/secret
printf 'pprof 127.0.0.1:9100\npromote-after 0\n' >>/etc/sockgate/sockgate.conf
/usr/local/bin/sg-echo >/run/echo-port &
until_ok test -s /run/echo-port
BE=127.0.0.1:$(cat /run/echo-port)

# Type=notify: start returns once the gateway said READY=1
check "start (READY=1)" systemctl restart sockgate
check "active" systemctl is-active --quiet sockgate
pid=$(main_pid)
check "runs as the sockgate user" \
	test "$(awk '/^Uid:/ { print $2 }' /proc/"$pid"/status)" = "$(id -u sockgate)"
check "CAP_NET_ADMIN alone" \
	grep -q '^CapEff:[[:space:]]*0000000000001000$' /proc/"$pid"/status
tok=$(sockgatectl --secret-file /etc/sockgate/secret encrypt "$BE")
check "a session" test "$(echo hello | sockgatectl connect 127.0.0.1:9000 "$tok")" = hello

# a reload with a live session: it goes on, a new secret works
(
	sleep 8
	echo late
) | sockgatectl connect 127.0.0.1:9000 "$tok" >/run/late &
late=$!
until_ok test "$(metric sockgate_sessions_active)" -ge 1
{
	head -c 32 /dev/urandom | base64
	cat /etc/sockgate/secret
} >/run/new
cat /run/new >/etc/sockgate/secret
check "systemctl reload" systemctl reload sockgate
tok2=$(sockgatectl --secret-file /run/new encrypt "$BE")
check "the new secret" test "$(echo again | sockgatectl connect 127.0.0.1:9000 "$tok2")" = again
wait "$late"
check "the live session went on through the reload" test "$(cat /run/late)" = late
# that one lasted: the kernel path took it (a client that sends its FIN
# at once may be on splice: a socket past FIN cannot join a sockmap)
check "the sockmap path" test "$(metric 'sockgate_sessions_total{mode="sockmap"}')" -ge 1
check "pinned maps bpftool reads" sh -c \
	"bpftool map show pinned /sys/fs/bpf/sockgate/$pid/sessions >/dev/null"

check "the same process" test "$(main_pid)" = "$pid"

# a reload that fails makes systemctl reload fail
echo "bogus key" >>/etc/sockgate/sockgate.conf
if systemctl reload sockgate; then bad "a failed reload fails"; else ok "a failed reload fails"; fi
sed -i '/^bogus key$/d' /etc/sockgate/sockgate.conf
check "the journal" sh -c 'journalctl -u sockgate --no-pager | grep -q "ready: pid"'
check "journal priorities" sh -c \
	'journalctl -u sockgate -p err --no-pager | grep -q "unknown key bogus"'

# stop drains and ends; kill -9 leaves pins the next start removes
check "stop" systemctl stop sockgate
check "inactive" sh -c '! systemctl is-active --quiet sockgate'
check "start again" systemctl start sockgate
old=$(main_pid)
kill -9 "$old"
until_ok sh -c "p=\$(systemctl show -p MainPID --value sockgate); [ \"\$p\" != 0 ] && [ \"\$p\" != $old ]"
until_ok systemctl is-active --quiet sockgate
new=$(main_pid)
check "restarted after kill -9" test "$new" != "$old"
pins=$(find /sys/fs/bpf/sockgate -mindepth 1 -maxdepth 1 -printf '%f ')
echo "SGBOOT-PINS $pins(gateway $new)"
check "the stale pins removed" test "$pins" = "$new "
if [ "$fails" -gt 0 ]; then
	echo "SGBOOT-LOG the gateway's journal, for the failures:"
	journalctl -u sockgate --no-pager -o short-monotonic | tail -60
fi
echo "SGBOOT-DONE fails=$fails"
systemctl poweroff
