#!/usr/bin/env bash
# ESP transport mode through a real NAT (RFC 7296 2.23.1, RFC 3948 3.1.2): espritd behind a
# masquerading router initiates to espritd on the public side; transport mode, ESP in UDP.
#
#   ns C (client, initiator)     ns R (router: nft masquerade, conntrack)    ns S (server, nginx)
#   10.45.1.2 vc ---------------- rc 10.45.1.1   rs 10.45.0.1 -------------- vs 10.45.0.2
#
# The client's selectors name its private address; the server takes the NAT's address seen by
# IKE instead (logged) and answers with the original selectors. After decapsulation the inner
# TCP checksum was computed for the other address (the NAT rewrote the header, not the
# checksum inside ESP): both ends compute it anew, or the kernel would drop every segment.
# Checks: the download is byte-identical, the server logged the substitution, nginx saw the
# client as the NAT's address, S's wire carries ESP in UDP only (no raw ESP, no plaintext TCP,
# no private address), and no inbound packet was dropped by the selector check.
# shellcheck disable=SC2317 # helpers below run through check
set -uo pipefail
# shellcheck source=tests/net/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
# shellcheck source=tests/net/nat_lib.sh
source "$(dirname "$0")/nat_lib.sh"

net_init ntr curl openssl cmp nginx conntrack
ESPRIT="$ESPRIT_BUILD/esprit"
nat_topology 45
nat_psk
ike_conf "me -> $A_S tcp port 80 mirrored" "auth psk \"$TMP/psk\"" >"$TMP/client.conf"
ike_conf "any -> me tcp port 80 mirrored" "auth psk \"$TMP/psk\"" >"$TMP/server.conf"

nat_pair "$TMP/client.conf" "$TMP/server.conf"
nginx_start "$S" "$TMP/ngx" "$A_S" || bad "nginx"
head -c 1000000 /dev/urandom >"$TMP/ngx/www/data.bin"

capture_start "$S" vs "$TMP/wire.pcap" not arp
check "download over transport mode through the NAT is byte-identical" \
	nat_download "$C" "http://$A_S/data.bin" "$TMP/ngx/www/data.bin"
capture_stop
check "server took the NAT's address for the client's private one (RFC 7296 2.23.1)" \
	grep -q "transport mode through a NAT (RFC 7296 2.23.1): TSi $A_C taken as $A_PUB" \
	"$TMP/server.log"
check "nginx saw the client as the NAT's address" grep -q "^$A_PUB " "$TMP/ngx/access.log"
n_enc=$(nat_espinudp "$TMP/wire.pcap" "$A_PUB")
n_bad=$(pcap_count "$TMP/wire.pcap" "ip proto 50 or tcp or host $A_C")
echo "S's wire: $n_enc ESP in UDP from $A_PUB, $n_bad raw ESP/TCP/private-address packets"
# The client's ACKs of the 1 MB download: it acks about once per coalesced TUN write of
# espritd (37-80 per MB seen), so the bound only proves the path was used.
check "the download came as ESP in UDP from the NAT" [ "$n_enc" -ge 20 ]
check "no raw ESP, no plaintext, no private address on S's wire" [ "$n_bad" -eq 0 ]
no_policy_drops() {
	[ "$(ctl_counter "$CS" policy)" -eq 0 ] &&
		[ "$(ctl_counter "$SS" policy)" -eq 0 ]
}
check "no inbound packet outside the selectors on either side" no_policy_drops

espritd_stop_all "$C:$PIDC" "$S:$PIDSV"
net_finish "$TMP/client.log" "$TMP/server.log"
