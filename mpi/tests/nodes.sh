# SPDX-License-Identifier: MIT
# mpi.nodes: hogcount-mpi on three nodes simulated on one machine, the
# recipe of docs/scaling.md ("A cluster on one machine").  Each node is
# a network namespace with one veth on a bridge that lives in a
# namespace of its own (10.250.28.0/24: no link or address in the
# machine's own namespace), and runs in a mount namespace of its own:
# a private /dev/shm and a node-local directory at the
# same path on every node ($W/local).  mpirun runs in the bridge's
# namespace and starts every node's daemon through rsh.sh (in place of
# ssh), with --mca btl tcp,self on the bridge's subnet.
#
# Checks: dump --sort identical to one `hogcount count` for k-mers and
# words, with --exchange p2p and alltoallv, each node's ranks mapping
# a table in that node's /dev/shm; an output directory that is not
# shared refused (one line naming the nodes, no manifest); a leader
# killed in the save never leaving a table that reads as good, and its
# temporary shard removed by the next run; inputs that differ between
# nodes refused.  The namespaces go, even on failure (trap).  Skips
# (77) with one line where they cannot be made.
. "$(dirname "$0")/lib.sh"

skip() {
	echo "SKIP: mpi.nodes: $*"
	exit 77
}

NODES=3
NET=10.250.28
TAG=hc$$
HEAD=$TAG-head
[ "$(id -u)" = 0 ] || skip "not root: cannot make network namespaces"
for c in ip unshare mount timeout; do
	command -v $c >/dev/null || skip "no '$c' command"
done

# Our namespaces, and the processes left in them (a failed mpirun's
# daemons); deleting a namespace removes its links and the bridge.
ns_del() {
	pids=$(ip netns pids "$1" 2>/dev/null || true)
	[ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
	ip netns del "$1" 2>/dev/null || true
}
cleanup() {
	for i in $(seq 0 $((NODES - 1))); do
		ns_del "$TAG-n$i"
	done
	ns_del "$HEAD"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
# Those of an earlier run killed before its trap ran (a CTest timeout).
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' |
	grep -E '^hc[0-9]+-(head|n[0-9]+)$' || true); do
	p=${ns%%-*}
	kill -0 "${p#hc}" 2>/dev/null || ns_del "$ns"
done

ip netns add "$HEAD" 2>/dev/null || skip "ip netns add refused"
ip -n "$HEAD" link add br0 type bridge 2>/dev/null || skip "no bridge"
ip -n "$HEAD" link set lo up
ip -n "$HEAD" addr add $NET.254/24 dev br0
ip -n "$HEAD" link set br0 up
# 2 slots on node 0 and 1 on the others: 4 ranks on 3 nodes.
: >hosts
for i in $(seq 0 $((NODES - 1))); do
	n=$TAG-n$i
	ip netns add "$n"
	ip -n "$HEAD" link add "v$i" type veth peer name eth0 netns "$n"
	ip -n "$HEAD" link set "v$i" master br0 up
	ip -n "$n" link set lo up
	ip -n "$n" addr add $NET.$((10 + i))/24 dev eth0
	ip -n "$n" link set eth0 up
	mkdir -p "node$i"
	echo "$NET.$((10 + i)) slots=$([ $i = 0 ] && echo 2 || echo 1)" >>hosts
done
# The mount namespace is the test of whether it can run at all.
ip netns exec "$TAG-n0" unshare -m sh -c \
	'mount -t tmpfs tmpfs /dev/shm' 2>/dev/null ||
	skip "unshare -m or a tmpfs mount refused"

# rsh.sh HOST COMMAND...: what ssh would do, into node HOST's namespaces.
cat >rsh.sh <<EOF
#!/bin/sh
while [ "\${1#-}" != "\$1" ]; do shift; done
i=\$((\${1##*.} - 10))
shift
exec ip netns exec $TAG-n\$i unshare -mu sh -c '
	hostname node\$0 &&
	mount -t tmpfs tmpfs /dev/shm &&
	mount --bind "$W/node\$0" "$W/local" && exec sh -c "\$1"' \$i "\$*"
EOF
chmod +x rsh.sh
mkdir -p local shared

# mpin [MPIRUN OPTIONS] PROGRAM ARGS...: 4 ranks on the 3 nodes, from
# mpirun in the bridge's namespace, at most 60 s.
mpin() {
	timeout -k 5 60 ip netns exec "$HEAD" "$MPIEXEC" --hostfile hosts \
		-np 4 --allow-run-as-root --mca plm_rsh_agent "$W/rsh.sh" \
		--mca plm_rsh_no_tree_spawn 1 --mca routed direct \
		--mca btl tcp,self --mca oob_tcp_if_include $NET.0/24 \
		--mca btl_tcp_if_include $NET.0/24 "$@"
}

"$GEN_READS" --reads 2000 --len 120 --genome 20000 --seed 5 >shared/a.fq
"$GEN_READS" --reads 2000 --len 120 --genome 20000 --seed 6 >shared/b.fq
"$GEN_TEXT" --bytes 200000 --seed 3 --vocab 300 >shared/t.txt

# Where each rank runs, and its /dev/shm: 2 ranks on node 0 and one on
# each other node, a tmpfs of its own on each node (its device), none
# the machine's.
mpin sh -c 'echo "$(hostname) $(stat -c %d /dev/shm)"' | sort -u >where.txt
[ "$(cut -d' ' -f1 where.txt | tr '\n' ' ')" = "node0 node1 node2 " ] &&
	[ "$(cut -d' ' -f2 where.txt | sort -u | wc -l)" = 3 ] &&
	! grep -q " $(stat -c %d /dev/shm)\$" where.txt ||
	fail "nodes: $(cat where.txt)"
[ "$(mpin hostname | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')" = \
	"2 1 1 " ] || fail "ranks per node: $(mpin hostname)"
echo "ok: 4 ranks on 3 nodes, each node its own /dev/shm"

# The same table as one count: k-mers and words, both exchanges.
"$HC" count --dna -k 21 -C -q -o one-dna.hc shared/a.fq shared/b.fq
"$HC" count --words -k 2 -q -o one-words.hc shared/t.txt
for x in p2p alltoallv; do
	for kind in dna words; do
		case $kind in
		dna) args="--dna -k 21 -C $W/shared/a.fq $W/shared/b.fq" ;;
		words) args="--words -k 2 $W/shared/t.txt" ;;
		esac
		# shellcheck disable=SC2086
		mpin -x HOGCOUNT_MPI_TEST_ROUND_KEYS=3000 -x \
			HOGCOUNT_MPI_TEST_BLOCK=4096 "$HCMPI" count \
			--exchange $x -o "$W/shared/$kind.hc" $args 2>err.txt ||
			{ cat err.txt >&2; fail "$kind $x: failed"; }
		grep -q '^shards 3$' shared/$kind.hc || fail "$kind $x: shards"
		"$HC" dump --sort one-$kind.hc >one.txt
		"$HC" dump --sort shared/$kind.hc | cmp -s one.txt - ||
			fail "$kind $x: dump --sort differs from count"
		echo "ok: $kind, --exchange $x: the table of one count"
	done
done

# An output directory every node has but does not share: refused with
# one line naming the nodes whose shards node 0 cannot see; nothing
# left on any node.
if mpin "$HCMPI" count --dna -k 21 -o "$W/local/u.hc" "$W/shared/a.fq" \
	2>err.txt; then
	fail "unshared output: succeeded"
fi
one_line "unshared output" "local/u.hc: rank 0 cannot see the shards of nodes 1 (node1), 2 (node2) as written (.*/local/u.hc.shard-1-of-3: No such file or directory).*no manifest written"
for i in 0 1 2; do
	[ -z "$(ls node$i)" ] || fail "unshared output: node $i kept $(ls node$i)"
done
echo "ok: an output directory not shared refused"

# A leader killed in the save (node 1's: rank 2), over a good table of
# another run: OUT then reads as one of the two runs or not at all,
# with one line.  The next run removes the temporary shard a dead
# process left, and reads as itself.
"$HC" count --dna -k 21 -C -q -o one-a.hc shared/a.fq
"$HC" dump --sort one-a.hc >one-a.txt
"$HC" dump --sort one-dna.hc >one-ab.txt
mpin "$HCMPI" count --dna -k 21 -C -o "$W/shared/k.hc" "$W/shared/a.fq" \
	2>err.txt || { cat err.txt >&2; fail "kill: first run failed"; }
if mpin -x HOGCOUNT_MPI_TEST_KILL_SAVE=2 "$HCMPI" count --dna -k 21 -C \
	-o "$W/shared/k.hc" "$W/shared/a.fq" "$W/shared/b.fq" \
	>/dev/null 2>&1; then
	fail "killed in the save: succeeded"
fi
if "$HC" dump --sort shared/k.hc >k.txt 2>err.txt; then
	cmp -s k.txt one-a.txt || cmp -s k.txt one-ab.txt ||
		fail "killed in the save: reads as neither run"
else
	[ "$(wc -l <err.txt)" = 1 ] || fail "killed in the save: $(cat err.txt)"
fi
sh -c 'exit 0' &
dead=$!
wait $dead
: >shared/k.hc.shard-2-of-3.tmp.$dead
mpin "$HCMPI" count --dna -k 21 -C -o "$W/shared/k.hc" "$W/shared/a.fq" \
	"$W/shared/b.fq" 2>err.txt || { cat err.txt >&2; fail "kill: rerun"; }
[ ! -e shared/k.hc.shard-2-of-3.tmp.$dead ] || fail "kill: temporary kept"
"$HC" dump --sort shared/k.hc | cmp -s one-ab.txt - || fail "kill: rerun differs"
echo "ok: a leader killed in the save, then a rerun"

# Inputs that differ between nodes (node-local files of one name and
# one size): refused with one line.
for i in 0 1 2; do
	"$GEN_READS" --reads 500 --len 120 --genome 20000 --seed $((20 + i)) \
		>node$i/in.fq
done
[ "$(cat node*/in.fq | wc -c)" = $((3 * $(wc -c <node0/in.fq))) ] ||
	fail "inputs of one size: $(wc -c node*/in.fq)"
if mpin "$HCMPI" count --dna -k 21 -o "$W/shared/d.hc" "$W/local/in.fq" \
	2>err.txt; then
	fail "inputs that differ: succeeded"
fi
one_line "inputs that differ" "other sizes or contents on other ranks"
[ ! -e shared/d.hc ] || fail "inputs that differ: d.hc written"
echo "ok: inputs that differ between nodes refused"
