# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables set here are read by the sourcing test
# A real NAT for the NAT traversal tests (test_nat*.sh; source lib.sh first): a client behind
# a router that masquerades (nftables, conntrack) and a server on the router's public side.
#
#   ns C (client, private)        ns R (router, NAT)                 ns S (server, public)
#   A_C 10.N.1.2 vc ------------- rc 10.N.1.1   rs 10.N.0.1 (A_PUB) ------------- vs 10.N.0.2 A_S
#
# R masquerades what leaves rs: UDP from a port range of our choice (nat_ports), so the
# client's 500 and 4500 always come out as other ports (RFC 7296 2.23: the server must answer
# where they come from). S routes everything via R, so plaintext to the client would be
# forwarded by R if esprit did not protect it.

# nat_topology N: the three namespaces (prefix from net_init), addresses in 10.N.{0,1}.0/24;
# sets C R S, A_C A_PUB A_S NET_C.
nat_topology() {
	local n="$1"
	C=${NET_PREFIX}c$$
	R=${NET_PREFIX}r$$
	S=${NET_PREFIX}s$$
	A_C=10.$n.1.2 A_RC=10.$n.1.1 A_PUB=10.$n.0.1 A_S=10.$n.0.2 NET_C=10.$n.1.0/24
	for ns in "$C" "$R" "$S"; do
		net_ns "$ns"
	done
	nat_veth "$C" vc "$A_C" "$R" rc "$A_RC"
	nat_veth "$S" vs "$A_S" "$R" rs "$A_PUB"
	in_ns "$C" ip route add default via "$A_RC"
	in_ns "$S" ip route add default via "$A_PUB"
	in_ns "$R" sysctl -qw net.ipv4.ip_forward=1
	nat_ports 20000 20999
}

# nat_veth NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair with a /24 address on each end.
nat_veth() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" || exit 1
	in_ns "$1" ip addr add "$3/24" dev "$2"
	in_ns "$4" ip addr add "$6/24" dev "$5"
	in_ns "$1" ip link set "$2" up
	in_ns "$4" ip link set "$5" up
	# espritd may send ESP in UDP with UDP_SEGMENT: segment at the veth, as a NIC would, so
	# the router's NAT and the captures see the real datagrams.
	if command -v ethtool >/dev/null; then
		in_ns "$1" ethtool -K "$2" tx-udp-segmentation off >/dev/null
		in_ns "$4" ethtool -K "$5" tx-udp-segmentation off >/dev/null
	fi
}

# nat_ports LO HI [ADDR]: R masquerades UDP leaving rs to source ports LO-HI (other protocols
# keep theirs), or with ADDR translates its source to ADDR:LO-HI (a NAT whose public address
# changes). Replaces the table atomically; existing conntrack entries keep their mappings.
nat_ports() {
	local udp="masquerade to :$1-$2"
	[ -n "${3:-}" ] && udp="snat to $3:$1-$2"
	in_ns "$R" nft -f - <<NFT
table ip natt_test
delete table ip natt_test
table ip natt_test {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "rs" meta l4proto udp $udp
		oifname "rs" masquerade
	}
}
NFT
}

# nat_forget: R drops every UDP mapping (as a NAT does after a reboot or a timeout); the
# client's next datagram gets a new public port.
nat_forget() {
	in_ns "$R" conntrack -D -p udp >/dev/null 2>&1
	true
}

# nat_tunnel_conf FILTER PEER LOCAL: one negotiating rule `web` (ESP AES-GCM-128, tunnel from
# LOCAL to PEER) over FILTER with the preshared key $TMP/psk.
nat_tunnel_conf() {
	cat <<CONF
filter-list web {
	$1
}
action esp-gcm {
	negotiate
	method esp aes-gcm-128 lifetime 100000kb 3600s
	pending hold 16
}
policy p {
	rule web {
		filters web
		action esp-gcm
		auth psk "$TMP/psk"
		mode tunnel $2 local $3
	}
}
use policy p
CONF
}

# nat_download NS URL WANT: curl URL in NS into $TMP/got.bin, byte-identical to WANT.
nat_download() {
	rm -f "$TMP/got.bin"
	in_ns "$1" curl -sS --max-time 30 -o "$TMP/got.bin" "$2" && cmp -s "$3" "$TMP/got.bin"
}

# nat_espinudp FILE SRC: ESP-in-UDP datagrams (non-zero SPI, more than one octet) from SRC to
# port 4500 in FILE.
nat_espinudp() {
	pcap_count "$1" "src host $2 and udp dst port 4500 and udp[4:2] > 9 and udp[8:4] != 0"
}

# nat_keepalives FILE SRC: NAT keepalives (RFC 3948 2.3: UDP payload the one octet 0xFF) from
# SRC to port 4500 in FILE.
nat_keepalives() {
	pcap_count "$1" "src host $2 and udp dst port 4500 and udp[4:2] = 9 and udp[8] = 0xff"
}

# nat_pair CLIENT_CONF SERVER_CONF [VAR=VALUE...]: espritd in S, then in C with the
# VAR=VALUE settings in its environment only (timer knobs); PIDSV/PIDC, control sockets CS/SS,
# logs $TMP/server.log and $TMP/client.log. Ends the test when one does not start.
nat_pair() {
	local kv
	espritd_start "$S" "$2" "$TMP/server.log" || ike_start_failed "$TMP/server.log"
	PIDSV=$ESPRITD_PID
	for kv in "${@:3}"; do
		export "${kv?}"
	done
	espritd_start "$C" "$1" "$TMP/client.log" || ike_start_failed "$TMP/client.log"
	PIDC=$ESPRITD_PID
	for kv in "${@:3}"; do
		unset "${kv%%=*}"
	done
	CS=$TMP/client.sock
	SS=$TMP/server.sock
}

# nat_psk: a random preshared key in the 0600 file $TMP/psk.
nat_psk() {
	openssl rand -hex 24 >"$TMP/psk"
	chmod 600 "$TMP/psk"
}
