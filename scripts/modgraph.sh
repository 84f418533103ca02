#!/bin/sh
# Which daemon module calls which, from the objects' symbol tables: an
# edge "a b" when a.o uses a function or variable b.o defines, a module
# being a file under user/ (core/log, fwd/sockmap/episode). Prints the
# edges, then fails when they form a cycle. Usage: modgraph.sh BUILD [-q]
set -eu
objs="$1/user"
quiet="${2:-}"
defs=$(mktemp)
edges=$(mktemp)
trap 'rm -f "$defs" "$edges"' EXIT

mods() {
	find "$objs" -name '*.o' ! -name '*.hooks.o' ! -path '*/sockgatectl/*' |
		sort
}

for o in $(mods); do
	m=${o#"$objs"/}
	m=${m%.o}
	nm --defined-only -g "$o" | awk -v m="$m" '{ print $3, m }'
done | sort >"$defs"

for o in $(mods); do
	m=${o#"$objs"/}
	m=${m%.o}
	nm -u "$o" | awk '{ print $2 }' | sort -u |
		join - "$defs" | awk -v m="$m" '$2 != m { print m, $2 }'
done | sort -u >"$edges"

[ "$quiet" = -q ] || cat "$edges"
if ! tsort "$edges" >/dev/null 2>&1; then
	echo "modgraph: the module calls form a cycle:" >&2
	tsort "$edges" 2>&1 >/dev/null | sed 's/^/  /' >&2
	exit 1
fi
echo "modgraph: $(wc -l <"$edges") edges between the daemon's modules, no cycle"
