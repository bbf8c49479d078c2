#!/usr/bin/env bash
# IKEv2 fragmentation (RFC 7383) interop: espritd <-> strongSwan 5.9.8 with RSA-3072
# certificates, both limited to 600-octet IP datagrams for IKE (strongSwan:
# charon.fragment_size = 600; espritd: ike-fragment-size 600 in esprit.conf), so neither IKE_AUTH
# message fits in one datagram.
#
#   ns E (espritd)                                   ns S (charon, its own /run and vici)
#   10.72.0.1 ve ---------------------------------- vs 10.72.0.2   python3 http.server :8080
#
# Checks: both directions of negotiation (esprit initiates from an acquire, then strongSwan
# with swanctl --initiate after a DELETE): SAs up, a download byte-identical; strongSwan's log
# shows it reassembled esprit's fragments and split its own, `esprit stats` counts fragments
# and two reassembled messages; and on the wire (tshark): SKF
# payloads (type 53, "Encrypted and Authenticated Fragment") from both addresses, no IKE
# datagram over 600 octets and no IP fragment at all. Skips (77) without root, strongSwan or
# tshark.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swan/swan.sh"

net_init swfrag curl cmp openssl tshark
swan_available || skip "strongSwan (charon, swanctl, kernel-libipsec, openssl/gcm plugins) not installed"

FRAG=600
swan_topology swfrag 4
SW_IKE=aes256gcm16-prfsha384-ecp256 SW_ESP=aes128gcm16

# ---- a CA (P-256) and two RSA-3072 end entities (openssl) -------------------------------------
rsa_key() {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$1" 2>/dev/null
	chmod 600 "$1"
}
rsa_cert() { # rsa_cert NAME SUBJECT SAN
	rsa_key "$TMP/$1.key"
	openssl req -new -key "$TMP/$1.key" -subj "$2" -out "$TMP/$1.csr" 2>/dev/null
	printf '[v3]\nsubjectAltName=%s\n' "$3" >"$TMP/$1.ext"
	openssl x509 -req -in "$TMP/$1.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" \
		-CAcreateserial -days 2 -extfile "$TMP/$1.ext" -extensions v3 \
		-out "$TMP/$1.pem" 2>/dev/null
}
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/ca.key" 2>/dev/null
openssl req -x509 -new -key "$TMP/ca.key" -subj "/CN=frag CA" -days 2 \
	-addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign \
	-out "$TMP/ca.pem" 2>/dev/null
rsa_cert esprit "/O=esprit interop/CN=esprit" "IP:$A_E"
rsa_cert swan "/O=esprit interop/CN=strongswan" "IP:$A_S"
rsa3072() { openssl x509 -in "$1" -noout -text 2>/dev/null | grep -q 'Public-Key: (3072 bit)'; }
check "openssl made the RSA-3072 certificates" bash -c \
	"$(declare -f rsa3072); rsa3072 '$TMP/esprit.pem' && rsa3072 '$TMP/swan.pem'"

swan_esprit_conf "auth cert ca \"$TMP/ca.pem\" cert \"$TMP/esprit.pem\" key \"$TMP/esprit.key\"" \
	yes "ike-fragment-size $FRAG" >"$TMP/esprit.conf"
SW="$TMP/swan"
swan_dir "$SW"
sed -i "s/^charon {/charon {\n\tfragment_size = $FRAG/" "$SW/strongswan.conf"
swan_conn_cert "$SW" swan "$A_S" "$A_E" "$A_S" "O=esprit interop, CN=esprit" "$SW_IKE" "$SW_ESP" \
	"$TMP/ca.pem" "$TMP/swan.pem" "$TMP/swan.key" "" "fragmentation = yes
		send_cert = always"

swan_start "$SW"
swan_espritd "$TMP/esprit.conf"
ok "charon (pid $SWAN_PID) and espritd (pid $EPID) running"
swan_http 200000
capture_start "$E" ve "$TMP/wire.pcap"

swan_sas() { swanctl_ns "$S" "$SW" --list-sas 2>/dev/null; }
download() { # download OUT
	in_ns "$E" curl -sS --max-time 20 -o "$1" "http://$URL_S:8080/data.bin" &&
		cmp -s "$TMP/www/data.bin" "$1"
}
no_swan_sa() { ! swan_sas | grep -q '^swan: '; }
esprit_no_ike_sa() { ! ctl "$ESOCK" status | grep -q '^ike_sa '; }

# ---- 1. esprit initiates ------------------------------------------------------------------------
# (the first SYN is held by espritd's acquire and sent once the Child SA is in)
check "esprit initiates: SAs up, download byte-identical" download "$TMP/got1.bin"
check "strongSwan: Child SA INSTALLED" swan_child_up "$S" "$SW" swan
check "strongSwan reassembled esprit's IKE_AUTH request from fragments" \
	grep -q "reassembled fragmented IKE message" "$SW/charon.log"
check "strongSwan split its IKE_AUTH response into fragments" \
	grep -Eq "splitting IKE message .* into [0-9]+ fragments" "$SW/charon.log"
check "esprit saw the peer's IKEV2_FRAGMENTATION_SUPPORTED" \
	grep -q "peer supports IKEv2 fragmentation (RFC 7383), fragment size $FRAG" "$ELOG"

# ---- 2. strongSwan initiates --------------------------------------------------------------------
check "strongSwan terminates the IKE SA" swanctl_ns "$S" "$SW" --terminate --ike swan --timeout 10
check "  ... neither side keeps an IKE SA" wait_for 10 bash -c \
	"$(declare -f swanctl_ns swan_sas no_swan_sa ctl esprit_no_ike_sa); S=$S SW=$SW ESOCK=$ESOCK \
	PY3=$PY3 NET_DIR=$NET_DIR; no_swan_sa && esprit_no_ike_sa"
mark=$(wc -l <"$SW/charon.log")
check "strongSwan initiates: IKE SA and Child SA up" \
	swanctl_ns "$S" "$SW" --initiate --ike swan --child swan --timeout 20
check "esprit answered with a fragmented IKE_AUTH response (strongSwan reassembled it)" \
	bash -c "tail -n +$mark '$SW/charon.log' | grep -q 'reassembled fragmented IKE message'"
check "strongSwan's IKE_AUTH request went out in fragments" \
	bash -c "tail -n +$mark '$SW/charon.log' | grep -Eq 'splitting IKE message .* into [0-9]+ fragments'"
check "download through the SA strongSwan made is byte-identical" download "$TMP/got2.bin"
capture_stop

# ---- esprit's counters (esprit stats): both negotiations are over --------------------------
stat() { ctl "$ESOCK" stats | awk -v k="$1" '$1 == k { print $2 }'; }
f_sent=$(stat ike_frag_sent) f_rx=$(stat ike_frag_received)
f_drop=$(stat ike_frag_dropped) f_re=$(stat ike_frag_reassembled)
echo "esprit: fragments sent $f_sent, received $f_rx, dropped $f_drop; reassembled $f_re"
check "esprit stats: fragments sent and received (>= 4 each)" \
	[ "${f_sent:-0}" -ge 4 -a "${f_rx:-0}" -ge 4 ]
check "esprit stats: two messages reassembled (one IKE_AUTH each way), none dropped" \
	[ "${f_re:-0}" -eq 2 -a "${f_drop:-1}" -eq 0 ]

# ---- the wire ---------------------------------------------------------------------------------
# tshark decodes IKE on 500 and, after the non-ESP marker, on 4500
TS=(tshark -n -r "$TMP/wire.pcap")
"${TS[@]}" -Y isakmp -T fields -e ip.src -e ip.len -e isakmp.exchangetype -e isakmp.nextpayload \
	>"$TMP/ike.txt" 2>"$TMP/tshark.err"
"${TS[@]}" -Y isakmp -V 2>/dev/null | grep -c "Encrypted and Authenticated Fragment" \
	>"$TMP/skf_names" || true
skf_from() { awk -v a="$1" '$1 == a && $4 ~ /^53(,|$)/' "$TMP/ike.txt" | wc -l; }
n_e=$(skf_from "$A_E")
n_s=$(skf_from "$A_S")
max_len=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$TMP/ike.txt")
n_ipfrag=$(pcap_count "$TMP/wire.pcap" "ip[6:2] & 0x3fff != 0")
echo "wire: $(wc -l <"$TMP/ike.txt") IKE datagrams, SKF from esprit $n_e, from strongSwan $n_s," \
	"largest IKE datagram $max_len octets, $n_ipfrag IP fragments"
check "tshark names SKF payloads 'Encrypted and Authenticated Fragment'" \
	[ "$(cat "$TMP/skf_names")" -ge 4 ]
check "SKF fragments from esprit (>= 4: two fragmented IKE_AUTH messages)" [ "$n_e" -ge 4 ]
check "SKF fragments from strongSwan (>= 4)" [ "$n_s" -ge 4 ]
check "no IKE datagram over $FRAG octets ($max_len)" [ "$max_len" -gt 0 -a "$max_len" -le "$FRAG" ]
check "no IP fragments on the wire" [ "$n_ipfrag" -eq 0 ]
net_finish "$ELOG" "$SW/charon.log" "$TMP/tshark.err"
