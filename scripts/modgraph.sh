#!/bin/sh
# The daemon's module graph and its rules. A module is a file under
# user/ (core/log, fwd/sockmap/episode); its layer is its first folder.
# An edge "a b" when a.o uses a function or variable b.o defines, and
# for each call through a function pointer of the table below. Fails
# on a cycle or a broken rule; prints the edges unless -q.
# Usage: modgraph.sh BUILD [-q]
set -eu
objs="$1/user"
quiet="${2:-}"
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Layers, lowest first: a module calls its own layer or lower ones.
LAYERS="core auth edge fwd session ctl daemon"

# Every function pointer declared under user/, as "name declared-in
# called-by targets...". A pointer its caller's own module declares is
# an interface that module publishes (the loop's watchers, a stream's
# channel): it knows no target, and no edge is counted. One declared
# elsewhere hides a call: it counts as edges from the caller to each
# target, so that a pointer cannot take an edge out of the graph.
POINTERS="
fn core/log core/log
evl_fd_cb core/loop core/loop
evl_timer_cb core/loop core/loop
evl_check_cb core/loop core/loop
set core/opt core/opt
abort_cb ctl/etcd_client ctl/etcd_client
start fwd/fwd fwd/path fwd/copy fwd/splice fwd/sockmap/forward
io fwd/fwd fwd/path fwd/copy fwd/splice fwd/sockmap/forward
timer fwd/fwd fwd/path fwd/sockmap/forward
event fwd/fwd fwd/path fwd/sockmap/forward
counts fwd/fwd fwd/path fwd/sockmap/forward
buffered fwd/fwd fwd/path fwd/copy fwd/splice fwd/sockmap/forward
stop fwd/fwd fwd/path fwd/copy fwd/splice fwd/sockmap/forward
ready fwd/fwd fwd/path fwd/copy
promo fwd/fwd fwd/path fwd/copy
seek fwd/fwd fwd/path fwd/copy
sockmap_event_fn fwd/sockmap/sockmap fwd/sockmap/sockmap
in fwd/stream fwd/stream
out fwd/stream fwd/stream
resolve_cb session/resolve session/resolve
rnd session/srv session/srv
name_of ctl/metrics ctl/metrics
reload ctl/control ctl/control
"

mods() {
	find "$objs" -name '*.o' ! -name '*.hooks.o' ! -path '*/sockgatectl/*' |
		sort
}

for o in $(mods); do
	m=${o#"$objs"/}
	m=${m%.o}
	nm --defined-only -g "$o" | awk -v m="$m" '{ print $3, m }'
done | sort >"$tmp/defs"

for o in $(mods); do
	m=${o#"$objs"/}
	m=${m%.o}
	nm -u "$o" | awk '{ print $2 }' | sort -u |
		join - "$tmp/defs" | awk -v m="$m" '$2 != m { print m, $2 }'
done >"$tmp/calls"

fail=0
# the table is complete: every pointer the headers declare is in it
grep -rhoE '\(\*[a-z_]+\)\(' "$here/../user" --include='*.h' |
	sed 's/[(*)]//g' | sort -u >"$tmp/declared"
echo "$POINTERS" | awk 'NF { print $1 }' | sort -u >"$tmp/known"
for p in $(comm -23 "$tmp/declared" "$tmp/known"); do
	echo "modgraph: function pointer $p is not in the table" >&2
	fail=1
done
echo "$POINTERS" | awk 'NF > 3 && $2 != $3 {
	for (i = 4; i <= NF; i++) print $3, $i }' >>"$tmp/calls"
sort -u "$tmp/calls" >"$tmp/edges"

[ "$quiet" = -q ] || cat "$tmp/edges"
if ! tsort "$tmp/edges" >/dev/null 2>&1; then
	echo "modgraph: the module calls form a cycle:" >&2
	tsort "$tmp/edges" 2>&1 >/dev/null | sed 's/^/  /' >&2
	fail=1
fi

# the rules, each edge against them
awk -v layers="$LAYERS" '
BEGIN { n = split(layers, l, " "); for (i = 1; i <= n; i++) rank[l[i]] = i }
function layer(m) { sub(/\/.*/, "", m); return m }
{
	a = $1; b = $2
	if (rank[layer(b)] > rank[layer(a)])
		bad("calls up a layer (" layer(a) " -> " layer(b) ")")
	if (b ~ /^fwd\/sockmap\/(forward|episode)$/ && a !~ /^fwd\//)
		bad("the sockmap forwarder is reached through fwd/path")
	if (b ~ /^fwd\/(copy|splice|stream)$/ && a !~ /^fwd\//)
		bad("a forwarder is reached through fwd/path")
	if (b ~ /^session\/(handshake|backend)$/ && a != "session/life")
		bad("a session stage is called only by session/life")
	if (a ~ /^fwd\// && b ~ /^session\//)
		bad("a forwarder reports, it calls no session code")
}
function bad(why) { printf "modgraph: %s -> %s: %s\n", a, b, why; broken = 1 }
END { exit broken }
' "$tmp/edges" >&2 || fail=1

[ "$fail" = 0 ] || exit 1
echo "modgraph: $(wc -l <"$tmp/edges") edges between the daemon's" \
	"modules, no cycle, the layer rules hold"
