#!/usr/bin/env bash
# IKEv2 interop: esprit creates a second Child SA with CREATE_CHILD_SA for a second rule to the
# same strongSwan peer (RFC 7296 1.3.1), PSK, ESP AES-GCM-128 in UDP 4500.
#
#   ns E (espritd) 10.72.0.1 ve -------------- vs 10.72.0.2 (charon, python3 http.server :8080)
#
# esprit's policy: rule web (TCP port 8080 to strongSwan's host) before rule swan (everything
# else between the hosts), both tunnels to 10.72.0.2. A download acquires rule web: IKE_SA_INIT
# + IKE_AUTH with the web Child SA (strongSwan picks its child config "web"); then a UDP
# datagram acquires rule swan, and esprit asks for that pair with CREATE_CHILD_SA on the IKE SA
# it has. Checks: strongSwan has both Child SAs under one IKE SA, each carried its traffic;
# espritd has two pairs and one IKE SA; SIGTERM deletes everything on strongSwan's side.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swan/swan.sh"

net_init swc curl cmp openssl
swan_available || skip "strongSwan (charon, swanctl, kernel-libipsec, openssl/gcm plugins) not installed"
command -v unshare >/dev/null || skip "unshare not installed"
swan_topology swc

swan_psk
swan_esprit_conf "auth psk \"$TMP/psk\"" off "filter-list web {
	me -> $A_S tcp port 8080 mirrored
}" "" "" "rule web {
		filters web
		action swan
		auth psk \"$TMP/psk\"
		mode tunnel $A_S
	}" >"$TMP/esprit.conf"
SW="$TMP/swan"
swan_dir "$SW"
swan_child web "$A_S[tcp/8080]" "$A_E[tcp]" aes128gcm16
swan_conn_psk "$SW" swan $A_S $A_E "$PSK" aes256gcm16-prfsha384-ecp256 aes128gcm16
swan_start "$SW"
swan_espritd "$TMP/esprit.conf"
swan_http 2000000
# a UDP sink on strongSwan's host: counts what esprit's second Child SA delivers
ip netns exec "$S" "$PY3" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 9999))
while True:
    d, a = s.recvfrom(2048)
    open(sys.argv[2], "a").write(d.decode() + "\n")' $A_S "$TMP/udp.txt" >/dev/null 2>&1 &
PIDS+=($!)

swan_sas() { swanctl_ns "$S" "$SW" --list-sas 2>/dev/null; }
# child_bytes CHILD in|out: strongSwan's byte counter of that Child SA
child_bytes() {
	swan_sas | awk -v c="$1:" -v d="$2" '$1 == c { w = 1; next } /^  [^ ]+: #/ { w = 0 }
		w && $1 == d { print $3; exit }'
}

if in_ns "$E" curl -sS --max-time 20 -o "$TMP/got.bin" "http://$A_S:8080/data.bin" &&
	cmp -s "$TMP/www/data.bin" "$TMP/got.bin"; then
	ok "download acquires rule web: IKE SA + web Child SA, byte-identical"
else
	bad "download over rule web"
fi
check "strongSwan chose its child config web for it" swan_child_up "$S" "$SW" web
mark=$(wc -l <"$SW/charon.log")
for i in 1 2 3; do
	in_ns "$E" "$PY3" -c 'import socket, sys
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(sys.argv[2].encode(), (sys.argv[1], 9999))' \
		$A_S "datagram $i"
	sleep 0.5
done
check "UDP acquires rule swan: esprit sends CREATE_CHILD_SA (no REKEY_SA) on the IKE SA" \
	bash -c "tail -n +$mark '$SW/charon.log' | grep -q 'parsed CREATE_CHILD_SA request [0-9]* \\[ SA No TSi TSr \\]'"
check "strongSwan installed the second Child SA (swan)" swan_child_up "$S" "$SW" swan
check "strongSwan: one IKE SA" [ "$(swan_sas | grep -c '^swan: #')" -eq 1 ]
check "espritd: two Child SA pairs (4 SAs) under one IKE SA" bash -c \
	"[ \$(PY3=$PY3 NET_DIR=$NET_DIR; $(declare -f ctl); ctl $ESOCK sa | grep -c '^origin \(web\|swan\)$') -eq 4 ] &&
	[ \$(PY3=$PY3 NET_DIR=$NET_DIR; $(declare -f ctl); ctl $ESOCK status | grep -c '^ike_sa ') -eq 1 ]"
check "all three datagrams arrived (the first held during CREATE_CHILD_SA, then sent)" \
	wait_for 3 bash -c "[ \$(grep -c '^datagram' '$TMP/udp.txt') -eq 3 ]"
wb=$(child_bytes web out)
sb=$(child_bytes swan in)
echo "strongSwan: web Child SA sent $wb bytes, swan Child SA received $sb bytes"
check "the web Child SA carried the download (>= 2000000 bytes)" [ "${wb:-0}" -ge 2000000 ]
check "the swan Child SA carried the datagrams (> 0 bytes)" [ "${sb:-0}" -gt 0 ]
kill -TERM "$EPID"
rc=0
wait "$EPID" || rc=$?
check "espritd exits 0 on SIGTERM" [ "$rc" -eq 0 ]
check "strongSwan deleted both Child SAs and the IKE SA after esprit's DELETE" \
	wait_for 5 bash -c "! { $(declare -f swanctl_ns); swanctl_ns $S $SW --list-sas; } | grep -q '^swan: '"
net_finish "$ELOG" "$SW/charon.log"
