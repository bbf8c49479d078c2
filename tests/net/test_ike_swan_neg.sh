#!/usr/bin/env bash
# IKEv2 interop failures: espritd <-> strongSwan 5.9.8 negotiations that must fail, each with a
# clear log line on esprit's side, the counter that says why, and no SA on either side.
#
#   ns E (espritd) 10.72.0.1 ve -------------- vs 10.72.0.2 (charon)  ns S
#
# Cases (one charon and one espritd; strongSwan's configuration is reloaded per case):
#   1. wrong PSK, strongSwan initiates: esprit refuses the AUTH (AUTHENTICATION_FAILED);
#   2. wrong PSK, esprit initiates (acquire): strongSwan refuses esprit's AUTH;
#   3. no ESP proposal in common (strongSwan only AES-GCM-256, esprit only AES-GCM-128):
#      the IKE SA comes up, the Child SA does not (NO_PROPOSAL_CHOSEN);
#   4. traffic selectors esprit's policy does not cover (strongSwan's side 10.72.9.0/24):
#      TS_UNACCEPTABLE, no Child SA;
#   5./6. no IKE proposal in common (strongSwan: AES-CBC-128/HMAC-SHA1/PRF-SHA1/MODP-1024
#      only), strongSwan or esprit initiating: NO_PROPOSAL_CHOSEN in IKE_SA_INIT, both lists
#      in esprit's log.
# Skips (77) without root or strongSwan.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swan/swan.sh"

net_init swn curl openssl
swan_available || skip "strongSwan (charon, swanctl, kernel-libipsec, openssl/gcm plugins) not installed"
command -v unshare >/dev/null || skip "unshare not installed"

swan_topology swn

swan_psk
swan_esprit_conf "auth psk \"$TMP/psk\"" off >"$TMP/esprit.conf"
SW="$TMP/swan"
IKE=aes256gcm16-prfsha384-ecp256
swan_dir "$SW"
swan_conn_psk "$SW" swan $A_S $A_E "$PSK" $IKE aes128gcm16
swan_start "$SW"
swan_espritd "$TMP/esprit.conf"

# reload_swan: strongSwan takes the rewritten swanctl.conf (old connections and secrets gone).
reload_swan() {
	swanctl_ns "$S" "$SW" --load-all --clear --noprompt >"$SW/load.log" 2>&1
}
stat_of() { ctl "$ESOCK" stats | sed -n "s/^$1 \([0-9]*\)$/\1/p"; }
no_sas() { # neither side has an SA
	[ "$(ctl "$ESOCK" sa | grep -c '^origin swan$')" -eq 0 ] &&
		! ctl "$ESOCK" status | grep -q '^ike_sa ' &&
		! swanctl_ns "$S" "$SW" --list-sas 2>/dev/null | grep -q '^swan: '
}
# esprit_says SINCE PATTERN: espritd's log after line SINCE has PATTERN (extended regexp)
esprit_says() { tail -n +"$1" "$ELOG" | grep -Eq "$2"; }
swan_initiate() { swanctl_ns "$S" "$SW" --initiate --ike swan --child swan --timeout 10 \
	>"$TMP/init.log" 2>&1; }

# ---- 1. wrong PSK, strongSwan initiates ------------------------------------------------------
swan_conn_psk "$SW" swan $A_S $A_E "not-$PSK" $IKE aes128gcm16
reload_swan
m=$(wc -l <"$ELOG")
a0=$(stat_of ike_authentication_failures)
if swan_initiate; then bad "1: strongSwan's initiation with a wrong PSK succeeded"; else
	ok "1: strongSwan's initiation with a wrong PSK fails"; fi
check "1: esprit logs why: authentication failed for the peer's ID" \
	esprit_says "$m" "IKE_AUTH from $A_S \(ID $A_S\): authentication failed"
check "1: strongSwan got AUTHENTICATION_FAILED" grep -q "received AUTHENTICATION_FAILED notify" \
	"$SW/charon.log"
check "1: esprit counted one authentication failure" [ "$(stat_of ike_authentication_failures)" -eq $((a0 + 1)) ]
check "1: no SA on either side" wait_for 3 no_sas

# ---- 2. wrong PSK, esprit initiates ---------------------------------------------------------
m=$(wc -l <"$ELOG")
mark=$(wc -l <"$SW/charon.log")
a0=$(stat_of ike_authentication_failures)
if in_ns "$E" curl -sS --max-time 3 -o /dev/null "http://$A_S:8080/" 2>/dev/null; then
	bad "2: traffic passed with a wrong PSK"
else
	ok "2: esprit's negotiation with a wrong PSK carries no traffic"
fi
check "2: strongSwan refused esprit's AUTH (MAC mismatch)" bash -c \
	"tail -n +$mark '$SW/charon.log' | grep -q 'but MAC mismatched'"
check "2: esprit logs why: the peer refused our authentication" \
	esprit_says "$m" "IKE_AUTH with $A_S for rule swan: authentication failed: the peer refused"
check "2: esprit counted authentication failures" \
	[ "$(stat_of ike_authentication_failures)" -gt "$a0" ]
check "2: no SA on either side" wait_for 3 no_sas

# ---- 3. no ESP proposal in common -----------------------------------------------------------
swan_conn_psk "$SW" swan $A_S $A_E "$PSK" $IKE aes256gcm16
reload_swan
m=$(wc -l <"$ELOG")
n0=$(stat_of ike_negotiation_failures)
if swan_initiate; then bad "3: a Child SA without a common ESP proposal"; else
	ok "3: strongSwan's initiation fails for the Child SA"; fi
check "3: strongSwan: NO_PROPOSAL_CHOSEN, no CHILD_SA built" \
	grep -q "received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built" "$SW/charon.log"
check "3: esprit logs both ESP proposal lists" \
	esprit_says "$m" "AES_GCM_16-256.*AES_GCM_16-128|AES_GCM_16-128.*AES_GCM_16-256"
check "3: esprit counted a negotiation failure" [ "$(stat_of ike_negotiation_failures)" -gt "$n0" ]
check "3: esprit installed no Child SA" [ "$(ctl "$ESOCK" sa | grep -c '^origin swan$')" -eq 0 ]
swanctl_ns "$S" "$SW" --terminate --ike swan --timeout 5 >/dev/null 2>&1
check "3: no SA on either side after strongSwan's DELETE" wait_for 3 no_sas

# ---- 4. traffic selectors outside esprit's policy ---------------------------------------------
swan_conn_psk "$SW" swan $A_S $A_E "$PSK" $IKE aes128gcm16
sed -i "s|local_ts = $A_S|local_ts = 10.72.9.0/24|" "$SW/swanctl/swanctl.conf"
reload_swan
m=$(wc -l <"$ELOG")
if swan_initiate; then bad "4: a Child SA for selectors outside esprit's policy"; else
	ok "4: strongSwan's initiation fails for the Child SA"; fi
check "4: strongSwan: TS_UNACCEPTABLE" grep -q "received TS_UNACCEPTABLE notify" "$SW/charon.log"
check "4: esprit logs the selectors it refused" esprit_says "$m" "10\.72\.9\.0"
check "4: esprit installed no Child SA" [ "$(ctl "$ESOCK" sa | grep -c '^origin swan$')" -eq 0 ]
swanctl_ns "$S" "$SW" --terminate --ike swan --timeout 5 >/dev/null 2>&1
check "4: no SA on either side after strongSwan's DELETE" wait_for 3 no_sas

# ---- 5. no IKE proposal in common (strongSwan: only AES-CBC-128/SHA-1/MODP-1024) ----------------
WEAK=aes128-sha1-prfsha1-modp1024
swan_conn_psk "$SW" swan $A_S $A_E "$PSK" $WEAK aes128gcm16
reload_swan
m=$(wc -l <"$ELOG")
n0=$(stat_of ike_negotiation_failures)
if swan_initiate; then bad "5: an IKE SA with SHA-1/MODP-1024"; else
	ok "5: strongSwan's initiation with SHA-1/MODP-1024 only fails"; fi
check "5: strongSwan got NO_PROPOSAL_CHOSEN in IKE_SA_INIT" \
	grep -q "received NO_PROPOSAL_CHOSEN notify error" "$SW/charon.log"
check "5: esprit logs what the peer offered and what it accepts" \
	esprit_says "$m" "IKE_SA_INIT from $A_S: NO_PROPOSAL_CHOSEN: .*peer offered \[IKE: AES_CBC-128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024\], we accept \[IKE: "
check "5: esprit counted a negotiation failure" [ "$(stat_of ike_negotiation_failures)" -gt "$n0" ]
check "5: no SA on either side" wait_for 3 no_sas
# ---- 6. the same with esprit initiating ----------------------------------------------------------
# a fresh espritd: after case 2 the rule may be held down for a while (no new negotiation
# right after a failed one)
kill -TERM "$EPID"
wait "$EPID"
swan_espritd "$TMP/esprit.conf" espritd6
m=1
if in_ns "$E" curl -sS --max-time 3 -o /dev/null "http://$A_S:8080/" 2>/dev/null; then
	bad "6: traffic passed without an IKE proposal in common"
else
	ok "6: esprit's negotiation without an IKE proposal in common carries no traffic"
fi
check "6: esprit logs the refusal and the proposals it offered" \
	esprit_says "$m" "IKE_SA_INIT for rule swan failed: peer answered NO_PROPOSAL_CHOSEN; we offered \[IKE: "
check "6: no SA on either side" wait_for 3 no_sas

[ -n "${ESPRIT_NET_VERBOSE:-}" ] && cat "$ELOG"
net_finish "$TMP/espritd.log" "$TMP/espritd6.log" "$SW/charon.log"
