#!/bin/sh
# Installs the Debian 12 packages sockgate needs. Without an argument:
# what building and running it need; with "deb", and debhelper for make
# deb. With "test": also the tools the
# tests and benchmarks run (make check and make bench ask for these);
# services those packages would start on install (nginx on :80, etcd on
# :2379, haproxy, prometheus) are kept from starting, and stopped where
# an earlier install started them. Idempotent and quiet when everything
# is there. Needs root for apt.
set -eu

BUILD_PKGS="build-essential pkg-config libssl-dev openssl libc-ares-dev \
libbpf-dev clang llvm bpftool libsystemd-dev libmicrohttpd-dev \
libcurl4-openssl-dev libjson-c-dev libwslay-dev"

TEST_PKGS="libcriterion-dev iproute2 procps util-linux qemu-system-x86 \
busybox-static cpio haproxy nginx libnginx-mod-stream gnuplot-nox \
clang-format shellcheck xz-utils python3-cryptography chromium man-db \
systemd python3 nodejs golang-go mono-mcs mono-runtime debhelper lintian \
libseccomp-dev mmdebstrap etcd-server etcd-client dnsmasq-base websockify prometheus"

SERVICES="nginx haproxy etcd prometheus prometheus-node-exporter"

case "${1:-}" in
test) PKGS="$BUILD_PKGS $TEST_PKGS" ;;
deb) PKGS="$BUILD_PKGS debhelper" ;; # make deb
*) PKGS=$BUILD_PKGS ;;
esac

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: run as root (apt-get install$missing)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq </dev/null
if [ "${1:-}" = test ]; then
	# the test servers are the tests' own, started on free ports: no
	# package may start its daemon (policy-rc.d(8), honoured by
	# invoke-rc.d and deb-systemd-invoke)
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 0755 /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing </dev/null >/dev/null
if [ "${1:-}" = test ] && [ -d /run/systemd/system ]; then
	for s in $SERVICES; do
		if systemctl is-active --quiet "$s" 2>/dev/null; then
			echo "deps: stopping $s (Debian started it; the tests start their own)"
			systemctl disable --now "$s" >/dev/null 2>&1 || true
		fi
	done
fi
