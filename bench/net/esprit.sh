#!/usr/bin/env bash
# bench/net/esprit.sh VARIANT: espritd in both namespaces with manual transport-mode SAs for all
# traffic between the two hosts (no selector). VARIANT (default gcm-udp):
#   gcm-udp     ESP AES-GCM-128 in UDP 4500 (RFC 3948)
#   gcm-raw     ESP AES-GCM-128, IP protocol 50
#   chacha-udp  ESP ChaCha20-Poly1305 (RFC 7634) in UDP 4500
#   cbc-udp     ESP AES-CBC-128 + HMAC-SHA2-256-128 in UDP 4500
#   ah          AH HMAC-SHA2-256-128, IP protocol 51
# Needs ESPRIT_BUILD (the build directory with espritd). See lib.sh for the output.
BN_KIND=esprit
VARIANT=${1:-gcm-udp}
BN_NAME=${BN_NAME:-esprit-$VARIANT}
# shellcheck source=bench/net/lib.sh
. "$(dirname "$0")/lib.sh"

ESPRITD=${ESPRIT_BUILD:?ESPRIT_BUILD must point at the build directory}/espritd
[ -x "$ESPRITD" ] || bn_die "no $ESPRITD"
[ -c /dev/net/tun ] || bn_skip "no /dev/net/tun"

P=esp ENCAP=""
case $VARIANT in
gcm-udp) ALG=aes-gcm-128 KEYLEN=20 ENCAP="encap udp" ;;
gcm-raw) ALG=aes-gcm-128 KEYLEN=20 ;;
chacha-udp) ALG=chacha20-poly1305 KEYLEN=36 ENCAP="encap udp" ;;
cbc-udp) ALG="aes-cbc-128 hmac-sha2-256" KEYLEN=48 ENCAP="encap udp" ;;
ah) P=ah ALG=hmac-sha2-256 KEYLEN=32 ;;
*) bn_die "unknown variant $VARIANT" ;;
esac

# bn_daemon NS NAME: start espritd, wait until it says it runs.
bn_daemon() {
	ip netns exec "$1" "$ESPRITD" -f "$BN_TMP/$2.conf" --foreground \
		--control "$BN_TMP/$2.sock" >"$BN_TMP/$2.log" 2>&1 &
	BN_TPIDS+=($!)
	bn_wait_for 10 grep -q "espritd running" "$BN_TMP/$2.log" || {
		cat "$BN_TMP/$2.log" >&2
		return 1
	}
}

bn_up() {
	local k A=$BN_ADDR_A B=$BN_ADDR_B
	for k in k1 k2; do
		echo "0x$(openssl rand -hex $KEYLEN)" >"$BN_TMP/$k"
		chmod 600 "$BN_TMP/$k"
	done
	cat >"$BN_TMP/a.conf" <<CONF
use policy client-respond-only
sa out $P spi 0x2001 transport $A -> $B $ALG key file "$BN_TMP/k1" $ENCAP
sa in $P spi 0x2002 transport $B -> $A $ALG key file "$BN_TMP/k2" $ENCAP
CONF
	cat >"$BN_TMP/b.conf" <<CONF
use policy client-respond-only
sa in $P spi 0x2001 transport $A -> $B $ALG key file "$BN_TMP/k1" $ENCAP
sa out $P spi 0x2002 transport $B -> $A $ALG key file "$BN_TMP/k2" $ENCAP
CONF
	bn_daemon "$BN_A" a && bn_daemon "$BN_B" b
}

bn_main
