#!/bin/sh
# Installs the Debian 12 packages sockgate builds and tests with.
# Idempotent and quiet when everything is there. Needs root for apt.
set -eu

PKGS="build-essential pkg-config libssl-dev openssl libc-ares-dev \
libcriterion-dev libbpf-dev clang llvm bpftool iproute2 procps util-linux \
qemu-system-x86 busybox-static cpio haproxy nginx libnginx-mod-stream gnuplot-nox \
clang-format shellcheck xz-utils python3-cryptography \
libsystemd-dev libmicrohttpd-dev chromium man-db systemd python3 nodejs \
golang-go mono-mcs mono-runtime debhelper lintian libseccomp-dev libcurl4-openssl-dev libjson-c-dev \
etcd-server etcd-client dnsmasq-base libwslay-dev websockify prometheus"

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
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing </dev/null >/dev/null
