#!/usr/bin/env bash
# capture-strongswan-ike-auth.sh PROPOSAL OUTPREFIX: let two strongSwan charons (Debian 12,
# 5.9.8) run IKE_SA_INIT + IKE_AUTH with PSK, capture the datagrams on the wire and the IKE SA
# keys charon logs at level 4 of its 'ike' group. Used once to produce
# ike-sk-strongswan-<name>.{req,resp}.bin and .keys for tests/unit/test_ike_sk.c (which
# opens both messages with src/ike/sk.c); rerun to refresh.
#
#   ns iks-a (charon initiator, 10.78.0.1) --veth-- ns iks-b (charon responder, 10.78.0.2)
#
# Each charon has its own mount namespace with a private /run (its pid file path is compiled
# in), strongswan.conf, vici socket and swanctl directory. tcpdump runs in iks-b.
set -euo pipefail
prop=$1
out=$(realpath -m "$2")
dir=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	ip netns del iks-a 2>/dev/null || true
	ip netns del iks-b 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
ip netns add iks-a
ip netns add iks-b
ip link add iks-va netns iks-a type veth peer name iks-vb netns iks-b
ip -n iks-a addr add 10.78.0.1/24 dev iks-va
ip -n iks-b addr add 10.78.0.2/24 dev iks-vb
for n in a b; do
	ip -n iks-$n link set iks-v$n up
	ip -n iks-$n link set lo up
done

for n in a b; do
	mkdir -p "$dir/$n/run" "$dir/$n/swanctl/conf.d"
	cat >"$dir/$n/strongswan.conf" <<CONF
charon {
	load_modular = no
	load = random nonce openssl pem pkcs1 pkcs8 x509 revocation constraints pubkey sha1 sha2 hmac gcm aes kdf kernel-libipsec kernel-netlink socket-default vici
	retransmit_tries = 1
	plugins { vici { socket = unix://$dir/$n/charon.vici }
		kernel-libipsec { allow_peer_ts = yes }
		socket-default { fwmark = 0x42 }
		kernel-netlink { fwmark = !0x42 } }
	filelog { keys { path = $dir/$n/keys.log
		default = 0
		ike = 4 } }
}
CONF
done
conf() { # conf LOCAL REMOTE LOCALID REMOTEID
	cat <<CONF
connections {
	cap {
		version = 2
		local_addrs = $1
		remote_addrs = $2
		proposals = $prop
		local { auth = psk
			id = $3 }
		remote { auth = psk
			id = $4 }
		children { c { esp_proposals = aes128gcm16
			local_ts = $1/32
			remote_ts = $2/32 } }
	}
}
secrets { ike-1 { secret = 0x0102030405060708090a0b0c0d0e0f10 } }
CONF
}
conf 10.78.0.1 10.78.0.2 a.example b.example >"$dir/a/swanctl/swanctl.conf"
conf 10.78.0.2 10.78.0.1 b.example a.example >"$dir/b/swanctl/swanctl.conf"

ip netns exec iks-b tcpdump -i iks-vb -U -w "$dir/cap.pcap" udp >/dev/null 2>&1 &
pids+=($!)
for n in a b; do
	ip netns exec iks-$n unshare -m sh -c "mount --bind '$dir/$n/run' /run && exec env \
		STRONGSWAN_CONF='$dir/$n/strongswan.conf' /usr/lib/ipsec/charon" \
		>"$dir/$n/charon.log" 2>&1 &
	pids+=($!)
done
for n in a b; do
	for _ in $(seq 50); do [ -S "$dir/$n/charon.vici" ] && break; sleep 0.1; done
	ip netns exec iks-$n env STRONGSWAN_CONF="$dir/$n/strongswan.conf" \
		SWANCTL_DIR="$dir/$n/swanctl" \
		swanctl --load-all --noprompt --uri "unix://$dir/$n/charon.vici" >/dev/null
done
sleep 0.5
ip netns exec iks-a env STRONGSWAN_CONF="$dir/a/strongswan.conf" \
	swanctl --initiate --ike cap --child c --timeout 10 --uri "unix://$dir/a/charon.vici" \
	>"$dir/initiate.log" 2>&1 || true
sleep 0.5
kill "${pids[0]}" 2>/dev/null || true
sleep 0.3

# KEEP_LOG=1 keeps charon's key log next to the output, to check the key parsing below.
[ -n "${KEEP_LOG:-}" ] && cp "$dir/a/keys.log" "$out.log"
# Pick the IKE_AUTH request and response (UDP 500 or 4500 after the non-ESP marker) and the
# initiator's logged keys.
/usr/bin/python3 - "$dir/cap.pcap" "$dir/a/keys.log" "$out" <<'PY'
import re, sys
from scapy.all import rdpcap, UDP
req = resp = None
for p in rdpcap(sys.argv[1]):
    if UDP not in p:
        continue
    d = bytes(p[UDP].payload)
    if p[UDP].dport == 4500 or p[UDP].sport == 4500:
        if d[:4] != b"\0\0\0\0":
            continue  # ESP
        d = d[4:]
    if len(d) < 28 or d[18] != 35:
        continue
    if d[19] & 0x20:
        resp = resp or d
    else:
        req = req or d
assert req and resp, "no IKE_AUTH exchange captured"
open(sys.argv[3] + ".req.bin", "wb").write(req)
open(sys.argv[3] + ".resp.bin", "wb").write(resp)
keys, cur, want = {}, None, 0
for line in open(sys.argv[2]):
    m = re.search(r"(Sk_[ea][ir]) secret => (\d+) bytes", line)
    if m:
        cur, want = m.group(1), int(m.group(2))
        keys[cur] = ""
        continue
    m = re.search(r"\[IKE\]\s+\d+: ((?:[0-9A-F]{2} )+)", line)
    if cur and m:
        keys[cur] += m.group(1).replace(" ", "").lower()
        if len(keys[cur]) == 2 * want:
            cur = None
with open(sys.argv[3] + ".keys", "w") as f:
    for k, v in keys.items():
        f.write(f"{k} {v}\n")
print("req", len(req), "resp", len(resp), "keys", sorted(keys))
PY
