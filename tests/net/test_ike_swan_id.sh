#!/usr/bin/env bash
# IKEv2 identities with strongSwan 5.9.8 (issue 5): FQDN IDs both ways with a PSK, and an
# ike-method that is not esprit's built-in offer (AES-GCM-16-256 / PRF-HMAC-SHA2-384 / X25519,
# the only suite either side accepts).
#
#   ns E (espritd) 10.72.0.1 ve -------------- vs 10.72.0.2 (charon)  python3 http.server :8080
#
#   1. strongSwan initiates as swan.example, expecting esprit.example: esprit checks remote-id
#      and answers with local-id; the Child SA carries HTTP;
#   2. esprit initiates (esprit up): its first KE guess is X25519 (no INVALID_KE_PAYLOAD), it
#      sends IDr = swan.example, strongSwan accepts;
#   3. strongSwan presents other.example: esprit refuses (AUTHENTICATION_FAILED) and its log
#      names both identities; no SA on either side.
# Skips (77) without root or strongSwan.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swan/swan.sh"

net_init swid curl openssl
swan_available || skip "strongSwan (charon, swanctl, kernel-libipsec, openssl/gcm plugins) not installed"
command -v unshare >/dev/null || skip "unshare not installed"

swan_topology swid

swan_psk
swan_esprit_conf "auth psk \"$TMP/psk\"" off "ike-method aes256gcm16-prfsha384-x25519" "" \
	"local-id esprit.example
		remote-id swan.example" >"$TMP/esprit.conf"
SW="$TMP/swan"
swan_dir "$SW"
# swan_ids LOCAL_ID: strongSwan's connection with FQDN IDs (it is LOCAL_ID, esprit must be
# esprit.example) and only the suite esprit is configured with.
swan_ids() {
	swan_conn_psk "$SW" swan $A_S $A_E "$PSK" aes256gcm16-prfsha384-curve25519 aes128gcm16
	sed -i -e "s/^\(\s*\)id = $A_S$/\1id = $1/" -e "s/^\(\s*\)id = $A_E$/\1id = esprit.example/" \
		-e "s/id-l = $A_S/id-l = $1/" -e "s/id-r = $A_E/id-r = esprit.example/" \
		"$SW/swanctl/swanctl.conf"
}
swan_ids swan.example
swan_start "$SW"
swan_http 4096
swan_espritd "$TMP/esprit.conf"

ESPRIT="$ESPRIT_BUILD/esprit"
esprit_cli() { in_ns "$E" "$ESPRIT" "$1" --control "$ESOCK" "${@:2}" >>"$TMP/cli.log" 2>&1; }
no_sas() { # neither side has an SA
	[ "$(ctl "$ESOCK" sa | grep -c '^origin swan$')" -eq 0 ] &&
		! ctl "$ESOCK" status | grep -q '^ike_sa ' &&
		! swanctl_ns "$S" "$SW" --list-sas 2>/dev/null | grep -q '^swan: '
}
esprit_says() { tail -n +"$1" "$ELOG" | grep -Eq "$2"; }
swan_says() { tail -n +"$1" "$SW/charon.log" | grep -Eq "$2"; }
fetch() { in_ns "$E" curl -sS --max-time 10 -o "$TMP/got.bin" "http://$URL_S:8080/data.bin" &&
	cmp -s "$TMP/www/data.bin" "$TMP/got.bin"; }

# ---- 1. strongSwan initiates -------------------------------------------------------------------
m=$(wc -l <"$ELOG")
check "1: strongSwan's initiation with FQDN IDs succeeds" swanctl_ns "$S" "$SW" --initiate \
	--ike swan --child swan --timeout 10
check "1: esprit: IKE SA with the peer identified as swan.example, rule swan" \
	esprit_says "$m" "IKE_SA with $A_S \(ID swan\.example\) established, rule swan"
check "1: strongSwan: established between swan.example and esprit.example" \
	grep -q "established between $A_S\[swan.example\]\.\.\.$A_E\[esprit.example\]" "$SW/charon.log"
check "1: the suite is the configured one (X25519)" \
	grep -q "selected proposal: IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE_25519" "$SW/charon.log"
check "1: HTTP through the Child SA" wait_for 10 fetch
swanctl_ns "$S" "$SW" --terminate --ike swan --timeout 5 >/dev/null 2>&1
check "1: no SA on either side after strongSwan's DELETE" wait_for 5 no_sas

# ---- 2. esprit initiates -----------------------------------------------------------------------
m=$(wc -l <"$ELOG")
mark=$(wc -l <"$SW/charon.log")
check "2: esprit up swan" esprit_cli up swan
check "2: strongSwan: Child SA INSTALLED" wait_for 10 swan_child_up "$S" "$SW" swan
check "2: esprit's first KE guess is X25519" \
	esprit_says "$m" "IKE_SA_INIT started with $A_S for rule swan \(curve25519\)"
check "2: strongSwan sent no INVALID_KE_PAYLOAD" \
	bash -c "! tail -n +$mark '$SW/charon.log' | grep -q INVALID_KE_PAYLOAD"
check "2: strongSwan: established between swan.example and esprit.example" \
	swan_says "$mark" "established between $A_S\[swan.example\]\.\.\.$A_E\[esprit.example\]"
# esprit reads strongSwan's IKE_AUTH answer after strongSwan installed its half
check "2: esprit: the peer identified as swan.example" \
	wait_for 5 esprit_says "$m" "IKE_SA with $A_S \(ID swan\.example\) established, rule swan"
check "2: HTTP through the Child SA" wait_for 10 fetch
check "2: esprit down swan" esprit_cli down swan
check "2: no SA on either side after esprit's DELETE" wait_for 5 no_sas

# ---- 3. strongSwan presents another identity ----------------------------------------------------
swan_ids other.example
swanctl_ns "$S" "$SW" --load-all --clear --noprompt >"$SW/load.log" 2>&1
m=$(wc -l <"$ELOG")
mark=$(wc -l <"$SW/charon.log")
if swanctl_ns "$S" "$SW" --initiate --ike swan --child swan --timeout 10 >/dev/null 2>&1; then
	bad "3: an IKE SA with a peer that is not swan.example"
else
	ok "3: strongSwan's initiation as other.example fails"
fi
check "3: esprit's log names both identities" esprit_says "$m" \
	"authentication failed: peer identified as fqdn:other\.example, rule swan expects fqdn:swan\.example"
check "3: strongSwan got AUTHENTICATION_FAILED" \
	swan_says "$mark" "received AUTHENTICATION_FAILED notify"
check "3: no SA on either side" wait_for 5 no_sas

[ -n "${ESPRIT_NET_VERBOSE:-}" ] && cat "$ELOG"
net_finish "$TMP/espritd.log" "$SW/charon.log"
