#!/usr/bin/env bash
# firewall-rules on real packets. Two network namespaces joined by a veth pair stand for the
# front-end (10.1.0.1) and the back-end (10.1.0.2) of examples/frontend.conf:
#
#     [esprit-fe-N] fe0 10.1.0.1/24 ==== veth ==== be0 10.1.0.2/24 [esprit-be-N]
#                                                    nft: esprit firewall-rules -b (input hook)
#
# With the front-end's ruleset loaded on the back-end side, plaintext HTTP and IMAP from the
# front-end are dropped, while IKE (UDP 500), ESP (IP protocol 50) and unrelated TCP (8080)
# still arrive. Without the ruleset, HTTP connects (so the drop is the ruleset's doing).
source "$(dirname "$0")/lib.sh"

FE="$EXAMPLES/frontend.conf"
A="esprit-fe-$$"
B="esprit-be-$$"
LISTENER=""
cleanup() {
	[ -n "$LISTENER" ] && kill "$LISTENER" 2>/dev/null || true
	ip netns del "$A" 2>/dev/null || true
	ip netns del "$B" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$A" && ip netns add "$B" || { bad "cannot create namespaces"; finish; }
ip link add fe0 netns "$A" type veth peer name be0 netns "$B"
ip -n "$A" addr add 10.1.0.1/24 dev fe0
ip -n "$B" addr add 10.1.0.2/24 dev be0
ip -n "$A" link set fe0 up
ip -n "$B" link set be0 up
ip -n "$A" link set lo up
ip -n "$B" link set lo up

# Back-end: TCP listeners on 80, 143, 8080; a UDP socket on 500; a raw ESP socket. It prints
# one line per thing received and exits after 20 s at the latest.
cat >"$TMP/listen.py" <<'PY'
import select, socket, sys, time
socks = {}
for port in (80, 143, 8080):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.1.0.2", port)); s.listen(8); socks[s] = "tcp/%d" % port
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("10.1.0.2", 500)); socks[u] = "udp/500"
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50); socks[r] = "esp"
print("ready", flush=True)
end = time.time() + 20
while time.time() < end:
    rd, _, _ = select.select(list(socks), [], [], 0.2)
    for s in rd:
        if s.type == socket.SOCK_STREAM:
            c, _ = s.accept(); c.close()
        else:
            s.recv(2048)
        print(socks[s], flush=True)
PY
# Front-end: try each; print what succeeded from the sender's side.
cat >"$TMP/send.py" <<'PY'
import socket, sys
what = sys.argv[1]
if what.startswith("tcp/"):
    s = socket.socket(); s.settimeout(1.0)
    try:
        s.connect(("10.1.0.2", int(what[4:]))); print("connected")
    except OSError as e:
        print("failed", e)
elif what == "udp/500":
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"ike", ("10.1.0.2", 500)); print("sent")
elif what == "esp":
    # SPI 0x1234, sequence 1, then bytes: shaped like ESP (RFC 4303 2), not decryptable.
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
    r.sendto(bytes.fromhex("0000123400000001") + b"\0" * 24, ("10.1.0.2", 0)); print("sent")
PY

ip netns exec "$B" "$PY3" "$TMP/listen.py" >"$TMP/got" 2>&1 &
LISTENER=$!
for _ in $(seq 50); do grep -q ready "$TMP/got" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$TMP/got" && ok "listener ready" || bad "listener: $(cat "$TMP/got")"

send() { ip netns exec "$A" "$PY3" "$TMP/send.py" "$1"; }

# Baseline without the ruleset: HTTP connects.
r="$(send tcp/80)"
[ "$r" = connected ] && ok "no ruleset: HTTP connects" || bad "no ruleset: HTTP $r"

"$ESPRIT" firewall-rules --block-plaintext -l 10.1.0.1/24 "$FE" >"$TMP/fw.nft"
if ip netns exec "$B" nft -f "$TMP/fw.nft" 2>"$TMP/nfterr"; then
	ok "ruleset loaded in $B"
else
	bad "nft -f: $(cat "$TMP/nfterr")"
fi

r="$(send tcp/80)"
[ "${r%% *}" = failed ] && ok "HTTP (tcp 80) in clear: dropped" || bad "HTTP: $r"
r="$(send tcp/143)"
[ "${r%% *}" = failed ] && ok "IMAP (tcp 143) in clear: dropped" || bad "IMAP: $r"
r="$(send tcp/8080)"
[ "$r" = connected ] && ok "tcp 8080 (not protected): connects" || bad "tcp 8080: $r"
send udp/500 >/dev/null
send esp >/dev/null
sleep 0.5
kill "$LISTENER" 2>/dev/null || true
wait "$LISTENER" 2>/dev/null || true
LISTENER=""
got="$(cat "$TMP/got")"
[ "$(grep -cx 'tcp/80' <<<"$got")" -eq 1 ] && ok "back-end saw HTTP exactly once (the baseline)" ||
	bad "HTTP arrivals: $got"
hasnt "back-end never saw IMAP" "$got" '^tcp/143$'
has "back-end saw tcp 8080" "$got" '^tcp/8080$'
has "IKE (udp 500) arrived" "$got" '^udp/500$'
has "ESP (protocol 50) arrived" "$got" '^esp$'

finish
