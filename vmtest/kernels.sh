#!/bin/sh
# Prints the Debian kernel packages to test, one a line. Arguments pick
# them: a package name, or a series ("6.1", "6.12") for its newest
# linux-image-*-cloud-amd64-unsigned in the apt index. Default: the LTS
# kernels Debian 12 ships (6.1) and backports (6.12).
set -eu
[ $# -gt 0 ] || set -- 6.1 6.12
for k in "$@"; do
	case "$k" in
	linux-image-*) echo "$k" ;;
	6.1) apt-cache pkgnames linux-image-6.1.0- |
		grep -- '-cloud-amd64-unsigned$' | sort -V | tail -1 ;;
	*) apt-cache pkgnames "linux-image-$k." |
		grep -- '-cloud-amd64-unsigned$' | sort -V | tail -1 ;;
	esac
done
