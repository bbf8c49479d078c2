#!/usr/bin/env bash
# Interop: espritd <-> strongSwan 5.9.8 (charon + swanctl + kernel-libipsec), IKEv2 with a
# preshared key, ESP tunnel mode between the two hosts in UDP 4500 (the only thing charon's
# userspace backend does; it also fakes "behind NAT", so esprit must move to 4500 and
# encapsulate, RFC 7296 2.23 / RFC 3948). See ../shared notes strongswan-peer.md.
#
#   ns C: espritd, nginx            ns W (bridge)            ns S: charon, nginx
#   A_C vc ------------------------------------------------- vs A_S
#
# 1. esprit initiates (curl C -> S starts the acquire): byte-identical download, only IKE and
#    ESP in UDP 4500 on the wire, no plaintext TCP 80; charon lists the SA with our proposal.
# 2. DELETE from strongSwan (swanctl --terminate): esprit removes the pair.
# 3. strongSwan initiates (swanctl --initiate, second proposal set: AES-CBC-128/HMAC-SHA2-256/
#    X25519 for IKE, AES-CBC-128 + HMAC-SHA2-256 for ESP): curl S -> C downloads through it.
# 4. DELETE from esprit (SIGTERM): charon's SA is gone.
source "$(dirname "$0")/lib.sh"
net_init iks curl openssl cmp nginx swanctl
[ -x /usr/lib/ipsec/charon ] || skip "strongSwan charon not installed"
net_family 4 6
ESPRIT="$ESPRIT_BUILD/esprit"
net_topology
# charon: ESP in UDP arrives on the veth while the reverse route points into ipsec0.
in_ns "$S" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
	net.ipv4.conf.vs.rp_filter=0

PSK=0x$(openssl rand -hex 32)
echo "$PSK" >"$TMP/psk"
chmod 600 "$TMP/psk"

# ---- esprit: all traffic with S in an ESP tunnel, both methods acceptable ---------------------
cat >"$TMP/esprit.conf" <<CONF
filter-list to-swan {
	me -> $A_S mirrored
}
action tun-esp {
	negotiate
	method esp aes-gcm-128
	method esp aes-cbc-128 hmac-sha2-256
	pending hold 8
}
policy p {
	rule swan {
		filters to-swan
		action tun-esp
		auth psk "$TMP/psk"
		mode tunnel $A_S local $A_C
	}
	default-response yes
}
use policy p
CONF

# ---- charon ------------------------------------------------------------------------------------
SW=$TMP/sw
mkdir -p "$SW/run" "$SW/swanctl/conf.d"
cat >"$SW/strongswan.conf" <<CONF
charon {
	load_modular = no
	load = random nonce openssl pem pkcs1 pkcs8 x509 revocation constraints pubkey sha1 sha2 hmac gcm aes kdf kernel-libipsec kernel-netlink socket-default vici
	retransmit_tries = 2
	plugins { vici { socket = unix://$SW/charon.vici }
		kernel-libipsec { allow_peer_ts = yes }
		socket-default { fwmark = 0x42 }
		kernel-netlink { fwmark = !0x42 } }
	filelog { log { path = $SW/charon.log
		flush_line = yes
		default = 1
		ike = 2 } }
}
CONF
cat >"$SW/swanctl/swanctl.conf" <<CONF
connections {
	esprit {
		version = 2
		local_addrs = $A_S
		remote_addrs = $A_C
		encap = yes
		proposals = aes256gcm16-prfsha256-ecp256, aes128-sha256-x25519
		local { auth = psk }
		remote { auth = psk }
		children { c { esp_proposals = aes128gcm16, aes128-sha256
			mode = tunnel
			local_ts = $A_S/32
			remote_ts = $A_C/32 } }
	}
	esprit-cbc {
		version = 2
		local_addrs = $A_S
		remote_addrs = $A_C
		encap = yes
		proposals = aes128-sha256-x25519
		local { auth = psk }
		remote { auth = psk }
		children { c2 { esp_proposals = aes128-sha256
			mode = tunnel
			local_ts = $A_S/32
			remote_ts = $A_C/32 } }
	}
}
secrets { ike-1 { secret = $PSK } }
CONF
ip netns exec "$S" unshare -m sh -c "mount --bind '$SW/run' /run && exec env \
	STRONGSWAN_CONF='$SW/strongswan.conf' /usr/lib/ipsec/charon" >"$SW/stdout" 2>&1 &
PIDS+=($!)
wait_for 10 test -S "$SW/charon.vici" || net_finish "$SW/stdout"
swan() {
	ip netns exec "$S" env STRONGSWAN_CONF="$SW/strongswan.conf" SWANCTL_DIR="$SW/swanctl" \
		swanctl "$@" --uri "unix://$SW/charon.vici"
}
swan --load-all --noprompt >"$SW/load.log" 2>&1 || net_finish "$SW/load.log"
ok "charon running with the esprit connections loaded"

espritd_start "$C" "$TMP/esprit.conf" "$TMP/esprit.log" || net_finish "$TMP/esprit.log"
PIDE=$ESPRITD_PID

nginx_start "$S" "$TMP/ngxs" "$A_S" || bad "nginx in S"
nginx_start "$C" "$TMP/ngxc" "$A_C" || bad "nginx in C"
head -c 2000000 /dev/urandom >"$TMP/ngxs/www/data.bin"
head -c 2000000 /dev/urandom >"$TMP/ngxc/www/data.bin"

# ---- 1. esprit initiates -------------------------------------------------------------------------
capture_start "$S" vs "$TMP/wire.pcap"
if in_ns "$C" curl -sS --max-time 60 -o "$TMP/got1.bin" "http://$A_S/data.bin" &&
	cmp -s "$TMP/ngxs/www/data.bin" "$TMP/got1.bin"; then
	ok "esprit initiator: curl C -> S over the negotiated tunnel, byte-identical"
else
	bad "esprit initiator: download failed"
fi
capture_stop
swan --list-sas >"$TMP/sas1.txt" 2>&1
check "charon lists the IKE SA with esprit, established" grep -q "ESTABLISHED" "$TMP/sas1.txt"
check "charon's child SA is a UDP-encapsulated tunnel with AES-GCM-16-128" \
	grep -Eq "INSTALLED, TUNNEL-in-UDP.*ESP:AES_GCM_16-128" "$TMP/sas1.txt"
n_natt=$(pcap_count "$TMP/wire.pcap" "udp port 4500")
n_tcp=$(pcap_count "$TMP/wire.pcap" "tcp port 80")
n_esp=$(pcap_count "$TMP/wire.pcap" "ip proto 50")
echo "wire: $n_natt UDP 4500, $n_esp raw ESP, $n_tcp plaintext TCP 80"
check "the download went in UDP 4500 (ESP in UDP)" [ "$n_natt" -ge 1000 ]
check "no plaintext TCP port 80 on the wire" [ "$n_tcp" -eq 0 ]
esprit_sa_has() { ESPRIT_CONTROL="$TMP/esprit.sock" "$ESPRIT" sa 2>/dev/null | grep -q "$1"; }
check "esprit lists the pair with origin swan" esprit_sa_has swan

# ---- 2. DELETE from strongSwan ------------------------------------------------------------------
swan --terminate --ike esprit --timeout 10 >"$TMP/term.log" 2>&1
check "DELETE from strongSwan: esprit removes the pair" \
	wait_for 10 grep -Eq "child [0-9]+ \(swan\) removed" "$TMP/esprit.log"

# ---- 3. strongSwan initiates with the second proposal set ------------------------------------------
if swan --initiate --ike esprit-cbc --child c2 --timeout 15 >"$TMP/init.log" 2>&1; then
	ok "strongSwan initiator: IKE SA and child established with esprit (AES-CBC/X25519)"
else
	bad "strongSwan initiator: negotiation failed"
fi
swan --list-sas >"$TMP/sas3.txt" 2>&1
check "charon's child uses AES-CBC-128/HMAC-SHA2-256-128" \
	grep -Eq "ESP:AES_CBC-128/HMAC_SHA2_256_128" "$TMP/sas3.txt"
if in_ns "$S" curl -sS --max-time 60 -o "$TMP/got3.bin" "http://$A_C/data.bin" &&
	cmp -s "$TMP/ngxc/www/data.bin" "$TMP/got3.bin"; then
	ok "esprit responder: curl S -> C through charon's tunnel, byte-identical"
else
	bad "esprit responder: download failed"
fi

# ---- 4. DELETE from esprit --------------------------------------------------------------------------
kill -TERM "$PIDE"
wait "$PIDE"
check "espritd exits 0 on SIGTERM" [ $? -eq 0 ]
swan_has_sa() { swan --list-sas 2>/dev/null | grep -q ESTABLISHED; }
swan_no_sa() { ! swan_has_sa; }
check "DELETE from esprit: charon has no IKE SA left" wait_for 10 swan_no_sa
check "charon logged the DELETE it received" \
	grep -q "received DELETE for IKE_SA esprit-cbc" "$SW/charon.log"
net_finish "$TMP/esprit.log" "$SW/charon.log" "$TMP/sas1.txt" "$TMP/init.log"
