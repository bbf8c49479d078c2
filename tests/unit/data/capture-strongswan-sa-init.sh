#!/usr/bin/env bash
# capture-strongswan-sa-init.sh OUT: make strongSwan's charon (Debian 12, 5.9.8) send one
# IKE_SA_INIT request and save the UDP payload to OUT. Used once to produce
# strongswan-ike-sa-init.bin for tests/unit/test_ikev2_strongswan.c; rerun to refresh it.
#
#   ns ikw-a (charon, 10.77.0.1) --veth-- ns ikw-b (10.77.0.2, python UDP socket on port 500)
#
# Nothing answers, so charon only ever sends its first request; the listener keeps the first
# datagram. charon runs in its own mount namespace with a private /run (its pid file path is
# compiled in) and its own strongswan.conf and swanctl directory.
set -euo pipefail
out=$(realpath -m "$1")
dir=$(mktemp -d)
cleanup() {
	[ -n "${cpid:-}" ] && kill "$cpid" 2>/dev/null || true
	[ -n "${lpid:-}" ] && kill "$lpid" 2>/dev/null || true
	ip netns del ikw-a 2>/dev/null || true
	ip netns del ikw-b 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
ip netns add ikw-a
ip netns add ikw-b
ip link add ikw-va netns ikw-a type veth peer name ikw-vb netns ikw-b
ip -n ikw-a addr add 10.77.0.1/24 dev ikw-va
ip -n ikw-b addr add 10.77.0.2/24 dev ikw-vb
ip -n ikw-a link set ikw-va up
ip -n ikw-b link set ikw-vb up
ip -n ikw-a link set lo up
ip -n ikw-b link set lo up

mkdir -p "$dir/run" "$dir/swanctl/conf.d"
cat >"$dir/strongswan.conf" <<CONF
charon {
	load_modular = no
	load = random nonce openssl pem pkcs1 pkcs8 x509 revocation constraints pubkey sha1 sha2 hmac gcm aes kdf kernel-libipsec kernel-netlink socket-default vici
	retransmit_tries = 1
	plugins { vici { socket = unix://$dir/charon.vici } }
}
CONF
# Two IKE proposals (the test checks these): AES-GCM-16-256 / PRF-SHA256 / ECP-256 (and
# nothing else), then AES-CBC-128 / HMAC-SHA2-256-128 / PRF-SHA256 / MODP-2048.
cat >"$dir/swanctl/swanctl.conf" <<CONF
connections {
	cap {
		version = 2
		local_addrs = 10.77.0.1
		remote_addrs = 10.77.0.2
		proposals = aes256gcm16-prfsha256-ecp256, aes128-sha256-prfsha256-modp2048
		local { auth = psk
			id = a.example }
		remote { auth = psk
			id = b.example }
		children { c { esp_proposals = aes128gcm16 } }
	}
}
secrets { ike-1 { secret = 0x0102030405060708090a0b0c0d0e0f10 } }
CONF

ip netns exec ikw-b /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.2", 500))
s.settimeout(20)
d, a = s.recvfrom(65535)
open(sys.argv[1], "wb").write(d)
print("captured", len(d), "bytes from", a)
' "$out" &
lpid=$!

ip netns exec ikw-a unshare -m sh -c "mount --bind '$dir/run' /run && exec env \
	STRONGSWAN_CONF='$dir/strongswan.conf' /usr/lib/ipsec/charon" >"$dir/charon.log" 2>&1 &
cpid=$!
for _ in $(seq 50); do [ -S "$dir/charon.vici" ] && break; sleep 0.1; done
ip netns exec ikw-a env STRONGSWAN_CONF="$dir/strongswan.conf" SWANCTL_DIR="$dir/swanctl" \
	swanctl --load-all --noprompt --uri "unix://$dir/charon.vici"
ip netns exec ikw-a env STRONGSWAN_CONF="$dir/strongswan.conf" \
	swanctl --initiate --ike cap --timeout 3 --uri "unix://$dir/charon.vici" || true
wait "$lpid"
lpid=
