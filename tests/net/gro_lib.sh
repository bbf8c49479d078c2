# shellcheck shell=bash
# Shared by test_gro.sh and test_gro_udp.sh (source after lib.sh and net_init): two namespaces
# A and B on one veth, four AES-GCM-128 transport SAs between them, and the readers of the
# coalescing counters.
#
#   ns A 10.N.0.1 / fd00:N::1  va ------------ vb  10.N.0.2 / fd00:N::2 ns B
#
# IPv4 rides ESP in UDP 4500 (UDP_GRO bursts), IPv6 raw ESP (recvmmsg batches).

# gro_pair PREFIX N: the namespaces (names in A and B), the link, the keys and the SAs as seen
# from A ($TMP/a.conf) and B ($TMP/b.conf), SPIs 0xN01-0xN04.
gro_pair() {
	local k
	A=${1}a$$
	B=${1}b$$
	net_ns "$A"
	net_ns "$B"
	ip link add va netns "$A" type veth peer name vb netns "$B" || exit 1
	in_ns "$A" ip addr add "10.$2.0.1/24" dev va
	in_ns "$B" ip addr add "10.$2.0.2/24" dev vb
	in_ns "$A" ip addr add "fd00:$2::1/64" dev va nodad
	in_ns "$B" ip addr add "fd00:$2::2/64" dev vb nodad
	in_ns "$A" ip link set va up
	in_ns "$B" ip link set vb up
	umask 077
	for k in k1 k2 k3 k4; do net_key "$TMP/$k" 20; done
	gro_sas OUT "$2" >"$TMP/a.conf"
	gro_sas IN "$2" >"$TMP/b.conf"
}

# gro_sas OUT|IN N: the four SAs as seen from A (OUT) or B (IN)
gro_sas() {
	local d1=out d2=in n=$2
	[ "$1" = IN ] && d1=in d2=out
	cat <<CONF
use policy client-respond-only
sa $d1 esp spi 0x${n}01 transport 10.$n.0.1 -> 10.$n.0.2 aes-gcm-128 key file "$TMP/k1" encap udp
sa $d2 esp spi 0x${n}02 transport 10.$n.0.2 -> 10.$n.0.1 aes-gcm-128 key file "$TMP/k2" encap udp
sa $d1 esp spi 0x${n}03 transport fd00:$n::1 -> fd00:$n::2 aes-gcm-128 key file "$TMP/k3"
sa $d2 esp spi 0x${n}04 transport fd00:$n::2 -> fd00:$n::1 aes-gcm-128 key file "$TMP/k4"
CONF
}

# gro_dp SOCK: "tun_tx tun_writes tun_gro_writes" from one esprit stats --json
gro_dp() {
	"$ESPRIT_BUILD/esprit" stats --json --control "$1" | "$PY3" -c 'import json, sys
d = json.load(sys.stdin)["datapath"]
print(d["tun_tx"], d["tun_writes"], d["tun_gro_writes"])'
}

# gro_exact LOG: the exit statistics say every packet received went into the TUN, none dropped
gro_exact() {
	local rx tx
	rx=$(sed -n 's/.*stats: tun_rx [0-9]* raw_tx [0-9]* raw_rx \([0-9]*\) tun_tx [0-9]*$/\1/p' "$1")
	tx=$(sed -n 's/.*stats: tun_rx [0-9]* raw_tx [0-9]* raw_rx [0-9]* tun_tx \([0-9]*\)$/\1/p' "$1")
	echo "$1: raw_rx $rx, tun_tx $tx"
	[ -n "$rx" ] && [ "$rx" = "$tx" ] && ! grep -q "stats: drop inbound\|stats: inbound" "$1"
}
