#!/bin/sh
# Prints the Debian kernel packages to test, one a line. Arguments pick
# them: a package name; a series ("6.1", "6.12") for its newest
# linux-image-*-cloud-amd64-unsigned in the apt index; "latest" for the
# newest of both; "all" for every one the index holds. Default: the
# pinned list, vmtest/kernels.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then
	grep -v '^#' "$here/kernels" | grep .
	exit 0
fi
cloud() {
	apt-cache pkgnames "$1" | grep -- '-cloud-amd64-unsigned$' | sort -V
}
for k in "$@"; do
	case "$k" in
	linux-image-*) echo "$k" ;;
	latest) cloud linux-image-6.1.0- | tail -1
		cloud linux-image-6.12. | tail -1 ;;
	all) cloud linux-image-6.1.0-
	     cloud linux-image-6.12. ;;
	6.1) cloud linux-image-6.1.0- | tail -1 ;;
	*) cloud "linux-image-$k." | tail -1 ;;
	esac
done
