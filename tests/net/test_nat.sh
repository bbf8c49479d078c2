#!/usr/bin/env bash
# NAT traversal through a real NAT (RFC 7296 2.23, RFC 3948): espritd behind a masquerading
# router initiates IKEv2 to espritd on the router's public side; tunnel mode with the client's
# own (private) address inside, ESP in UDP on 4500.
#
#   ns C (client, initiator)     ns R (router: nft masquerade, conntrack)    ns S (server, nginx)
#   10.43.1.2 vc ---------------- rc 10.43.1.1   rs 10.43.0.1 -------------- vs 10.43.0.2
#
# R maps the client's UDP to ports 20000-20999, then (the mapping change) drops its conntrack
# entries and maps to 30000-30999, so the client's next datagrams come from a new port.
# Checks: NAT detected on both sides (logs); the download through the tunnel is byte-identical;
# S's wire shows the client only as UDP from R's public address: IKE_SA_INIT on 500, then
# IKE and ESP in UDP on 4500, no raw ESP, no plaintext TCP; idle, the client sends one-octet
# 0xFF keepalives (nat-keepalive 1s in its esprit.conf). Mapping change: the client's liveness
# check (dpd-delay 2s) arrives from the new port, S logs the move and re-points the Child SA;
# a second download works with the same SPIs, no new IKE SA, the sequence numbers of S's
# outbound SA carry on; S's ESP in UDP goes to the new port. Then R translates to a second
# public address: S follows to it as well. Both daemons exit cleanly.
# shellcheck disable=SC2317 # helpers below run through check and wait_for
set -uo pipefail
# shellcheck source=tests/net/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
# shellcheck source=tests/net/nat_lib.sh
source "$(dirname "$0")/nat_lib.sh"

net_init nat curl openssl cmp nginx conntrack
ESPRIT="$ESPRIT_BUILD/esprit"
nat_topology 43
nat_psk
nat_tunnel_conf "$A_C -> $A_S tcp port 80 mirrored" "$A_S" "$A_C" >"$TMP/client.conf"
printf 'nat-keepalive 1s\ndpd-delay 2s\n' >>"$TMP/client.conf"
# S knows the client by the NAT's public address (the tunnel peer) and its private one (inside).
nat_tunnel_conf "$A_S -> $NET_C tcp sport 80 mirrored" "$A_PUB" "$A_S" >"$TMP/server.conf"

nat_pair "$TMP/client.conf" "$TMP/server.conf"

nginx_start "$S" "$TMP/ngx" "$A_S" || bad "nginx"
head -c 1000000 /dev/urandom >"$TMP/ngx/www/data.bin"

# ---- through the NAT ---------------------------------------------------------------------
capture_start "$S" vs "$TMP/wire.pcap" not arp
check "download through the tunnel behind the NAT is byte-identical" \
	nat_download "$C" "http://$A_S/data.bin" "$TMP/ngx/www/data.bin"
check "client logs the NAT in front of it" grep -q "NAT detected (in front of us" "$TMP/client.log"
check "server logs the NAT in front of the peer" \
	grep -q "NAT detected (.*in front of the peer" "$TMP/server.log"
out_encap() { ctl_json "$SS" sa "[s['encap'] for s in d['sas'] if s['dir'] == 'out'][0]"; }
encap_is() { [[ "$(out_encap)" =~ $1 ]]; }
echo "server's outbound SA: encap $(out_encap)"
check "server's Child SA sends ESP in UDP to the NAT's port (udp 4500 2xxxx)" \
	encap_is '^udp 4500 20[0-9]{3}$'
# Idle now: keepalives only (one a second), at least two of them on S's wire.
ka_seen() { [ "$(nat_keepalives "$TMP/wire.pcap" "$A_PUB")" -ge "$1" ]; }
check "idle client sends NAT keepalives (one octet 0xFF) that reach S from the NAT" \
	wait_for 10 ka_seen 2
capture_stop
n_ike500=$(pcap_count "$TMP/wire.pcap" "src host $A_PUB and udp dst port 500")
n_enc=$(nat_espinudp "$TMP/wire.pcap" "$A_PUB")
n_ka=$(nat_keepalives "$TMP/wire.pcap" "$A_PUB")
n_raw=$(pcap_count "$TMP/wire.pcap" "ip proto 50 or ip proto 51")
n_tcp=$(pcap_count "$TMP/wire.pcap" "tcp")
n_nat=$(pcap_count "$TMP/wire.pcap" "src host $A_PUB and udp src portrange 20000-20999")
n_from=$(pcap_count "$TMP/wire.pcap" "src host $A_PUB")
n_priv=$(pcap_count "$TMP/wire.pcap" "host $A_C")
echo "S's wire: $n_ike500 IKE on 500, $n_enc ESP in UDP, $n_ka keepalives, $n_raw raw ESP/AH," \
	"$n_tcp TCP, $n_from from $A_PUB ($n_nat from NAT ports), $n_priv with the private address"
check "IKE_SA_INIT on UDP 500 (then 4500)" in_range "$n_ike500" 1 4
# The client's ACKs of the 1 MB download: it acks about once per coalesced TUN write of
# espritd (37-80 per MB seen), so the bound only proves the path was used.
check "the download came as ESP in UDP to 4500" [ "$n_enc" -ge 20 ]
check "everything from the client is UDP from the NAT's ports" [ "$n_from" -eq "$n_nat" ]
check "no raw ESP/AH, no plaintext TCP, no private address on S's wire" \
	[ "$((n_raw + n_tcp + n_priv))" -eq 0 ]

# ---- the NAT forgets the mapping ---------------------------------------------------------
spis() { ctl_json "$1" sa "' '.join(sorted(s['spi'] for s in d['sas']))"; }
# the server's IKE SAs: SPIs and the peer's endpoint
ike_sas() { ctl_json "$SS" sa "' '.join(s['spi_i'] + ':' + s['spi_r'] + '@' + s['remote'] for s in d['ike_sas'])"; }
ike_spis() { ike_sas | sed 's/@[^ ]*//g'; }
ike_peer_is() { [[ "$(ike_sas)" =~ ^[^\ ]*@$A_PUB:$1$ ]]; } # one IKE SA, the NAT's port ~ $1
same() { # same WANT CMD...: CMD prints WANT, and WANT is not empty
	local want="$1"
	shift
	[ -n "$want" ] && [ "$("$@")" = "$want" ]
}
echo "SPIs: client $(spis "$CS"), server $(spis "$SS")"
out_seq() { ctl_json "$SS" sa "[s['seq'] for s in d['sas'] if s['dir'] == 'out'][0]"; }
spis_c=$(spis "$CS")
spis_s=$(spis "$SS")
seq0=$(out_seq)
ike0=$(ike_spis)
echo "server's IKE SA: $(ike_sas)"
check "server's IKE SA peer is the NAT's address and port" ike_peer_is "20[0-9]{3}"
n_inst=$(grep -c "installed" "$TMP/client.log")
nat_ports 30000 30999
nat_forget
capture_start "$S" vs "$TMP/wire2.pcap" not arp
check "download after the NAT mapping changed is byte-identical" \
	nat_download "$C" "http://$A_S/data.bin" "$TMP/ngx/www/data.bin"
capture_stop
check "server logs the peer's move to a port of the new range" \
	grep -Eq "peer behind a NAT moved from $A_PUB port 20[0-9]{3} to $A_PUB port 30[0-9]{3}" \
	"$TMP/server.log"
check "server re-pointed the Child SA (SPIs kept)" grep -q "peer moved from .* SPIs .* kept" \
	"$TMP/server.log"
echo "server's outbound SA: encap $(out_encap)"
check "server's Child SA now sends to the new port" \
	encap_is '^udp 4500 30[0-9]{3}$'
echo "server's IKE SA: $(ike_sas)"
check "same Child SA SPIs on the client" same "$spis_c" spis "$CS"
check "same Child SA SPIs on the server" same "$spis_s" spis "$SS"
check "same IKE SA on the server (one, same SPIs)" same "$ike0" ike_spis
check "server's IKE SA peer is the NAT's new port" ike_peer_is "30[0-9]{3}"
check "no new negotiation on the client" [ "$(grep -c "installed" "$TMP/client.log")" -eq "$n_inst" ]
seq1=$(out_seq)
echo "server's outbound sequence number: $seq0 -> $seq1"
seq_carried() { [ "${seq0:-0}" -gt 0 ] && [ "${seq1:-0}" -gt "$seq0" ]; }
check "server's outbound SA kept its sequence numbers (they carried on)" seq_carried
n_new=$(pcap_count "$TMP/wire2.pcap" "dst host $A_PUB and udp dst portrange 30000-30999 and udp[8:4] != 0")
n_in=$(nat_espinudp "$TMP/wire2.pcap" "$A_PUB")
echo "after the change: $n_in ESP in UDP from the NAT, $n_new ESP in UDP from S to its new ports"
check "S's ESP in UDP goes to the NAT's new port" [ "$n_new" -ge 300 ]
check "no raw ESP, no plaintext on S's wire after the change" \
	[ "$(pcap_count "$TMP/wire2.pcap" "ip proto 50 or tcp or host $A_C")" -eq 0 ]

# ---- the NAT's public address changes too -------------------------------------------------
# R gets a second public address and translates the client's UDP to it: the server's IKE SA
# and Child SA move to another address (a bypass route for it too), same SPIs.
A_PUB2=${A_PUB%.*}.3
in_ns "$R" ip addr add "$A_PUB2/24" dev rs
nat_ports 40000 40999 "$A_PUB2"
nat_forget
check "download after the NAT's address changed is byte-identical" \
	nat_download "$C" "http://$A_S/data.bin" "$TMP/ngx/www/data.bin"
echo "server's IKE SA: $(ike_sas), outbound SA: encap $(out_encap)"
check "server logs the peer's move to the NAT's new address" \
	grep -Eq "peer behind a NAT moved from $A_PUB port 30[0-9]{3} to $A_PUB2 port 40[0-9]{3}" \
	"$TMP/server.log"
A_PUB=$A_PUB2
check "server's IKE SA peer is the NAT's new address" ike_peer_is "40[0-9]{3}"
check "same Child SA SPIs on the server after the address change" same "$spis_s" spis "$SS"
check "same IKE SA on the server after the address change" same "$ike0" ike_spis

espritd_stop_all "$C:$PIDC" "$S:$PIDSV"
net_finish "$TMP/client.log" "$TMP/server.log"
