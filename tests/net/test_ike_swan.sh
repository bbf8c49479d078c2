#!/usr/bin/env bash
# IKEv2 interop: espritd <-> strongSwan 5.9.8 (charon + swanctl + kernel-libipsec), PSK.
#
#   ns E (espritd)                                   ns S (charon, its own /run and vici)
#   10.72.0.1 ve ---------------------------------- vs 10.72.0.2   python3 http.server :8080
#
# strongSwan's userspace backend only does ESP tunnel mode in UDP 4500 (and always claims a NAT
# in IKE_SA_INIT), so esprit's rule is a host-to-host tunnel (traffic selectors = the two
# addresses) and must move to port 4500 and ESP in UDP. Checks, in order:
#   1. the SAs come up: esprit initiates from an acquire (the first packet of curl) or
#      strongSwan initiates (swanctl --initiate); both sides list the Child SA with the
#      expected algorithms; the IKE suite strongSwan shows is the expected one;
#   2. a download E <- S through the tunnel is byte-identical; the wire carries UDP 500/4500
#      only (no raw ESP, no plain TCP 8080);
#   2b. strongSwan adds a narrower Child SA (TCP 8080) with CREATE_CHILD_SA: esprit installs it
#      and the next download goes through it; strongSwan deletes just that Child SA: esprit
#      removes that pair only and the first one carries the next download;
#   3. child rekey and IKE rekey during a download (strongSwan initiates them with
#      swanctl --rekey; with ESPRIT_SWAN_LIFETIME esprit initiates the Child SA rekeys): new
#      SPIs on both sides, the download still byte-identical;
#   4. DELETE from strongSwan (swanctl --terminate): espritd removes its Child SAs;
#   4b. esprit's administrative verbs: `esprit up swan` negotiates without traffic; `esprit
#      rekey` and `esprit rekey --ike` during a download (byte-identical, new SPIs agree, a new
#      IKE SA on strongSwan); `esprit down CHILD` deletes that pair on both ends and keeps the
#      IKE SA; `esprit down swan` leaves no SA on either side;
#   5. re-established; esprit answers strongSwan's liveness checks (dpd_delay 1s); espritd killed
#      and restarted negotiates with INITIAL_CONTACT and strongSwan keeps only the new IKE SA;
#      then DELETE from esprit (SIGTERM: ike_shutdown): strongSwan has no SA left.
# Variants (environment): ESPRIT_SWAN_INIT=esprit|swan (who initiates), ESPRIT_SWAN_SUITE=gcm
# (IKE AES-GCM-16-256/PRF-SHA384/ECP-256, ESP AES-GCM-128) | cbc (IKE AES-CBC-256 +
# HMAC-SHA2-256/PRF-SHA256/X25519, ESP AES-CBC-128 + HMAC-SHA2-256-128).
# Skips (77) without root or without strongSwan. Run by hand: tests/net/swan/smoke.sh proves the
# strongSwan harness alone (strongSwan <-> strongSwan).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swan/swan.sh"

net_init swi curl cmp openssl
swan_available || skip "strongSwan (charon, swanctl, kernel-libipsec, openssl/gcm plugins) not installed"
command -v unshare >/dev/null || skip "unshare not installed"

INIT=${ESPRIT_SWAN_INIT:-esprit}
SUITE=${ESPRIT_SWAN_SUITE:-gcm}
case "$SUITE" in
gcm)
	SW_IKE=aes256gcm16-prfsha384-ecp256 SW_ESP=aes128gcm16
	WANT_IKE="AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_256" WANT_ESP="ESP:AES_GCM_16-128"
	E_METHOD="method esp aes-gcm-128"
	;;
cbc)
	SW_IKE=aes256-sha256-prfsha256-x25519 SW_ESP=aes128-sha256
	WANT_IKE="AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519"
	WANT_ESP="ESP:AES_CBC-128/HMAC_SHA2_256_128"
	E_METHOD="method esp aes-cbc-128 hmac-sha2-256"
	;;
chacha)
	SW_IKE=aes128gcm16-prfsha256-x25519 SW_ESP=chacha20poly1305
	WANT_IKE="AES_GCM_16-128/PRF_HMAC_SHA2_256/CURVE_25519" WANT_ESP="ESP:CHACHA20_POLY1305"
	E_METHOD="method esp chacha20-poly1305"
	;;
*) skip "unknown ESPRIT_SWAN_SUITE $SUITE" ;;
esac
[ -n "${ESPRIT_SWAN_LIFETIME:-}" ] && E_METHOD="$E_METHOD lifetime 100000kb $ESPRIT_SWAN_LIFETIME"
# ESPRIT_SWAN_IKE_LIFETIME: esprit's IKE SA lifetime (`ike-lifetime`), so esprit rekeys the IKE
# SA on its own timer (at 85-90 % of it).
E_IKELIFE=""
[ -n "${ESPRIT_SWAN_IKE_LIFETIME:-}" ] && E_IKELIFE="ike-lifetime $ESPRIT_SWAN_IKE_LIFETIME"
# ESPRIT_SWAN_PFS=GROUP (strongSwan's name, e.g. x25519): both sides want a fresh key exchange
# in every Child SA rekey (esprit: `pfs`), strongSwan only with GROUP.
E_PFS=""
if [ -n "${ESPRIT_SWAN_PFS:-}" ]; then
	SW_ESP="$SW_ESP-$ESPRIT_SWAN_PFS"
	E_PFS=pfs
fi

# ESPRIT_SWAN_IKE: strongSwan's IKE proposal instead of the suite's (WANT_IKE then unchecked).
if [ -n "${ESPRIT_SWAN_IKE:-}" ]; then
	SW_IKE=$ESPRIT_SWAN_IKE WANT_IKE=""
fi

swan_topology swi "${ESPRIT_SWAN_FAMILY:-4}"

# ---- configurations ------------------------------------------------------------------------
swan_psk
# ESPRIT_SWAN_AUTH=cert: certificates from a CA made here with openssl (ECDSA P-256 unless
# ESPRIT_SWAN_KEYS says "rsa" or "ed25519" for strongSwan's key); esprit's ID is its subject DN
# (its default), strongSwan's its address (an iPAddress subjectAltName).
AUTH=${ESPRIT_SWAN_AUTH:-psk}
E_AUTH="auth psk \"$TMP/psk\""
if [ "$AUTH" = cert ]; then
	pki_key() { # pki_key FILE TYPE
		case "$2" in
		rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" ;;
		ed25519) openssl genpkey -algorithm ED25519 -out "$1" ;;
		*) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" ;;
		esac 2>/dev/null
		chmod 600 "$1"
	}
	pki_cert() { # pki_cert NAME SUBJECT SAN KEYTYPE
		pki_key "$TMP/$1.key" "$4"
		openssl req -new -key "$TMP/$1.key" -subj "$2" -out "$TMP/$1.csr" 2>/dev/null
		printf '[v3]\nsubjectAltName=%s\n' "$3" >"$TMP/$1.ext"
		openssl x509 -req -in "$TMP/$1.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" \
			-CAcreateserial -days 2 -extfile "$TMP/$1.ext" -extensions v3 \
			-out "$TMP/$1.pem" 2>/dev/null
	}
	pki_key "$TMP/ca.key" ec
	openssl req -x509 -new -key "$TMP/ca.key" -subj "/CN=interop CA" -days 2 \
		-addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign \
		-out "$TMP/ca.pem" 2>/dev/null
	pki_cert esprit "/O=esprit interop/CN=esprit" "IP:$A_E" ec
	pki_cert swan "/O=esprit interop/CN=strongswan" "IP:$A_S" "${ESPRIT_SWAN_KEYS:-ec}"
	E_AUTH="auth cert ca \"$TMP/ca.pem\" cert \"$TMP/esprit.pem\" key \"$TMP/esprit.key\""
fi
swan_esprit_conf "$E_AUTH" yes "" "$E_METHOD
	$E_PFS
	$E_IKELIFE" >"$TMP/esprit.conf"
SW="$TMP/swan"
swan_dir "$SW"
# a second, narrower child (strongSwan's HTTP port only) for the CREATE_CHILD_SA step
swan_child web "$A_S[tcp/8080]" "$A_E[tcp]" "$SW_ESP"
if [ "$AUTH" = cert ]; then
	swan_conn_cert "$SW" swan $A_S $A_E $A_S "O=esprit interop, CN=esprit" "$SW_IKE" "$SW_ESP" \
		"$TMP/ca.pem" "$TMP/swan.pem" "$TMP/swan.key" "" "dpd_delay = 1s"
else
	swan_conn_psk "$SW" swan $A_S $A_E "$PSK" "$SW_IKE" "$SW_ESP" "" "dpd_delay = 1s"
fi

# ---- start both ------------------------------------------------------------------------------
swan_start "$SW"
swan_espritd "$TMP/esprit.conf"
ok "charon (pid $SWAN_PID) and espritd (pid $EPID) running"

swan_http 3000000

capture_start "$E" ve "$TMP/wire.pcap"

# swan_sas: strongSwan's view; esprit_child_sas: espritd's IKE-made SAs (origin = rule swan).
swan_sas() { swanctl_ns "$S" "$SW" --list-sas 2>/dev/null; }
esprit_child_sas() { ctl "$ESOCK" sa | grep -c '^origin swan$'; }
esprit_spis() { ctl "$ESOCK" sa | sed -n 's/^sa \(in\|out\) esp spi \(0x[0-9a-f]*\) .*/\2/p' | sort; }
swan_spis() { # the INSTALLED Child SAs' SPIs as esprit prints them (0x%08x), sorted; a rekeyed
	# child stays listed as DELETED for a while in 5.9.8
	swan_sas | awk '/^  [^ ]+: #[0-9]+, reqid/ { inst = ($5 == "INSTALLED,") }
		inst && $1 ~ /^(in|out)$/ { sub(",", "", $2); print "0x" $2 }' | sort
}
no_sa_left() { # neither espritd nor strongSwan has an SA
	[ "$(esprit_child_sas)" -eq 0 ] && ! ctl "$ESOCK" status | grep -q '^ike_sa ' &&
		! swan_sas | grep -q '^swan: '
}
one_ike_sa() {
	[ "$(ctl "$ESOCK" status | grep -c '^ike_sa ')" -eq 1 ] &&
		[ "$(swan_sas | grep -c '^swan: #')" -eq 1 ]
}
swan_ike_spi() { swan_sas | sed -n 's/^swan: #[0-9]*, ESTABLISHED, IKEv2, \([0-9a-f]*\)_i.*/\1/p'; }
download() { # download OUT [CURL OPTIONS...]
	local out="$1"
	shift
	in_ns "$E" curl -sS --max-time 40 "$@" -o "$out" "http://$URL_S:8080/data.bin"
}

# ---- 1. establish ------------------------------------------------------------------------------
establish() {
	if [ "$INIT" = swan ]; then
		swanctl_ns "$S" "$SW" --initiate --ike swan --child swan --timeout 20 >"$TMP/init.log" 2>&1
	else
		# the first SYN is held by espritd (acquire) and sent once the Child SA is in
		download "$TMP/first.bin" && cmp -s "$TMP/www/data.bin" "$TMP/first.bin"
	fi
}
if establish; then
	ok "$INIT initiates: IKE SA and Child SA established ($SUITE)"
else
	bad "$INIT initiates ($SUITE)"
fi
check "strongSwan: Child SA INSTALLED, TUNNEL-in-UDP, $WANT_ESP" \
	bash -c "$(declare -f swanctl_ns swan_sas); S=$S SW=$SW; swan_sas |
	grep -q 'swan: #[0-9]*, reqid [0-9]*, INSTALLED, TUNNEL-in-UDP, $WANT_ESP'"
[ -n "$WANT_IKE" ] && check "strongSwan: IKE SA ESTABLISHED with $WANT_IKE" \
	bash -c "$(declare -f swanctl_ns swan_sas); S=$S SW=$SW; swan_sas | grep -qF '  $WANT_IKE'"
if [ "$INIT" = esprit ] && [ "$SUITE" = cbc ]; then
	# esprit's first KE is ECP-256 (its default order); strongSwan wants X25519
	check "strongSwan asked for another group (INVALID_KE_PAYLOAD) and esprit retried" \
		grep -q "DH group ECP_256 unacceptable, requesting CURVE_25519" "$SW/charon.log"
fi
if [ "$AUTH" = cert ]; then
	check "esprit verified strongSwan's certificate chain and signature" \
		grep -q "peer certificate /O=esprit interop/CN=strongswan verified" "$ELOG"
	check "strongSwan verified esprit's certificate and RFC 7427 ECDSA signature" \
		grep -q "authentication of 'O=esprit interop, CN=esprit' with ECDSA_WITH_SHA256_DER successful" \
		"$SW/charon.log"
fi
check "espritd: one Child SA pair from rule swan (2 SAs)" [ "$(esprit_child_sas)" -eq 2 ]
check "espritd: its SAs' SPIs are strongSwan's" [ "$(esprit_spis)" = "$(swan_spis)" ]
check "espritd: ESP in UDP 4500 both ways" \
	[ "$(ctl "$ESOCK" sa | grep -c '^encap udp 4500 4500$')" -eq 2 ]

# ---- 2. traffic ---------------------------------------------------------------------------
if download "$TMP/got.bin" && cmp -s "$TMP/www/data.bin" "$TMP/got.bin"; then
	ok "download E <- S through the tunnel is byte-identical"
else
	bad "download through the tunnel"
fi
check "strongSwan counted the bytes on its Child SA" \
	bash -c "$(declare -f swanctl_ns swan_sas); S=$S SW=$SW; swan_sas |
	grep -q 'out  *[0-9a-f]*, *[0-9]\{7,\} bytes'"

# ---- 2b. a second Child SA under the same IKE SA, then a Child SA DELETE ----------------------
# strongSwan asks for a narrower pair (its TCP port 8080 only) with CREATE_CHILD_SA; esprit
# installs it (selectors narrowed within the rule) and sends the next download through it, the
# newest covering pair; strongSwan's DELETE of that Child SA leaves the first one working.
spis_first=$(esprit_spis)
check "strongSwan adds a Child SA for TCP port 8080 (CREATE_CHILD_SA)" \
	swanctl_ns "$S" "$SW" --initiate --child web --timeout 10
check "espritd: two Child SA pairs (4 SAs) under one IKE SA" bash -c \
	"[ \$(PY3=$PY3 NET_DIR=$NET_DIR; $(declare -f ctl); ctl $ESOCK sa | grep -c '^origin swan$') -eq 4 ] &&
	[ \$(PY3=$PY3 NET_DIR=$NET_DIR; $(declare -f ctl); ctl $ESOCK status | grep -c '^ike_sa ') -eq 1 ]"
web_in=$(swan_sas | awk '/^  web: #/ { w = 1 } w && $1 == "out" { sub(",", "", $2); print "0x" $2; exit }')
if download "$TMP/web.bin" && cmp -s "$TMP/www/data.bin" "$TMP/web.bin"; then
	ok "download through the narrower Child SA is byte-identical"
else
	bad "download through the narrower Child SA"
fi
web_pk=$(ctl "$ESOCK" sa | sed -n "s/^sa in esp spi $web_in .* packets \([0-9]*\) .*/\1/p")
check "esprit received it on the new Child SA ($web_in: ${web_pk:-none} packets >= 2000)" \
	[ "${web_pk:-0}" -ge 2000 ]
check "strongSwan deletes that Child SA (INFORMATIONAL DELETE for ESP)" \
	swanctl_ns "$S" "$SW" --terminate --child web --timeout 10
check "espritd removes only that pair: the first one is left" \
	wait_for 5 bash -c "[ \"\$(PY3=$PY3 NET_DIR=$NET_DIR; $(declare -f ctl esprit_spis); ESOCK=$ESOCK; esprit_spis)\" = '$spis_first' ]"
if download "$TMP/first2.bin" && cmp -s "$TMP/www/data.bin" "$TMP/first2.bin"; then
	ok "download through the first Child SA again is byte-identical"
else
	bad "download through the first Child SA after the DELETE"
fi

# ---- 3. rekeys during a download ---------------------------------------------------------------
# Without ESPRIT_SWAN_LIFETIME strongSwan rekeys the Child SA and then the IKE SA; with it,
# esprit's own Child SA rekeys (soft lifetime, 90% of ESPRIT_SWAN_LIFETIME) fall inside a
# slower download, and strongSwan still rekeys the IKE SA in the middle of them.
spis0=$(esprit_spis)
ike0=$(swan_ike_spi)
RATE=600k
[ -n "${ESPRIT_SWAN_LIFETIME:-}" ] && RATE=300k
# --limit-rate only paces curl's reads: with espritd's coalesced TUN writes the whole file fits
# the default socket buffer and the download would end early; a 128 KiB maximum keeps it slow.
in_ns "$E" sysctl -qw net.ipv4.tcp_rmem="4096 65536 131072"
in_ns "$E" curl -sS --max-time 40 --limit-rate $RATE -o "$TMP/slow.bin" \
	"http://$URL_S:8080/data.bin" &
CURL_PID=$!
PIDS+=("$CURL_PID")
sleep 1
if [ -z "${ESPRIT_SWAN_LIFETIME:-}" ]; then
	check "strongSwan rekeys the Child SA during the download" \
		swanctl_ns "$S" "$SW" --rekey --child swan
fi
sleep 1.5
check "strongSwan rekeys the IKE SA during the download" swanctl_ns "$S" "$SW" --rekey --ike swan
if wait "$CURL_PID" && cmp -s "$TMP/www/data.bin" "$TMP/slow.bin"; then
	ok "download across the rekeys is byte-identical"
else
	bad "download across the rekeys"
fi
if [ -n "${ESPRIT_SWAN_LIFETIME:-}" ]; then
	# (a rekey may wait for an IKE SA rekey in flight: allow one more lifetime)
	esprit_rekeys() {
		[ "$(grep -c "parsed CREATE_CHILD_SA request [0-9]* \[ N(REKEY_SA)" "$SW/charon.log")" -ge 2 ]
	}
	check "esprit initiated Child SA rekeys (>= 2), strongSwan accepted them" \
		wait_for "${ESPRIT_SWAN_LIFETIME%s}" esprit_rekeys
fi
if [ -n "${ESPRIT_SWAN_IKE_LIFETIME:-}" ]; then
	# esprit's IKE SA rekeys: CREATE_CHILD_SA with SA, Ni, KE and no selectors; strongSwan's
	# own IKE rekey restarted the lifetime, so allow one more lifetime for the first one
	check "esprit rekeys the IKE SA on its own timer, strongSwan accepts" \
		wait_for "${ESPRIT_SWAN_IKE_LIFETIME%s}" grep -q \
		"parsed CREATE_CHILD_SA request [0-9]* \[ SA No KE \]" "$SW/charon.log"
fi
if [ -n "${ESPRIT_SWAN_PFS:-}" ]; then
	n_ke=$(grep -c "CREATE_CHILD_SA re[a-z]* [0-9]* \[ .*KE" "$SW/charon.log")
	check "Child SA rekeys carried KE payloads both ways (PFS; $n_ke messages)" [ "$n_ke" -ge 2 ]
	if [ "$ESPRIT_SWAN_PFS" = x25519 ] && [ "$SUITE" = gcm ] && [ -n "${ESPRIT_SWAN_LIFETIME:-}" ]; then
		# the IKE SA has ECP-256: esprit's KE guess, answered with INVALID_KE_PAYLOAD
		check "esprit retried its PFS rekey with the group strongSwan asked for" \
			grep -q "the peer asks for PFS group curve25519, retrying" "$ELOG"
	fi
	check "strongSwan's rekeyed Child SA shows the PFS group" \
		bash -c "$(declare -f swanctl_ns swan_sas); S=$S SW=$SW; swan_sas |
		grep -q 'INSTALLED, TUNNEL-in-UDP, $WANT_ESP/[A-Z_0-9]*'"
fi
sleep 0.5
# rekeys may still be under way with a short lifetime: wait until both sides agree
spis_agree() {
	spis1=$(esprit_spis)
	sw1=$(swan_spis)
	[ "$spis1" = "$sw1" ] && [ "$(wc -l <<<"$spis1")" -eq 2 ]
}
for _ in $(seq 20); do spis_agree && break; sleep 0.25; done
check "espritd: new Child SA SPIs after the rekey, old pair removed (2 SAs)" \
	bash -c "[ '$spis1' != '$spis0' ] && [ \$(wc -l <<<'$spis1') -eq 2 ]"
check "espritd and strongSwan agree on the new SPIs (esprit: $(echo $spis1), strongSwan: $(echo $sw1))" \
	[ "$spis1" = "$sw1" ]
# (rekeys on timers may be in flight: wait until each side has one IKE SA)
check "espritd and strongSwan: exactly one IKE SA each after the IKE rekey" wait_for 5 one_ike_sa
ike1=$(swan_ike_spi)
check "strongSwan: a new IKE SA ($ike0 -> $ike1)" bash -c "[ -n '$ike1' ] && [ '$ike1' != '$ike0' ]"
if download "$TMP/after.bin" && cmp -s "$TMP/www/data.bin" "$TMP/after.bin"; then
	ok "download after the rekeys (new Child SA under the new IKE SA) is byte-identical"
else
	bad "download after the rekeys"
fi

# ---- 4. DELETE from strongSwan -------------------------------------------------------------
check "strongSwan terminates the IKE SA (DELETE)" \
	swanctl_ns "$S" "$SW" --terminate --ike swan --timeout 10
check "espritd removes its Child SAs after strongSwan's DELETE" \
	wait_for 5 bash -c "[ \$(PY3=$PY3 NET_DIR=$NET_DIR; $(declare -f ctl); ctl $ESOCK sa |
	grep -c '^origin swan$') -eq 0 ]"
check "espritd: no IKE SA left" \
	wait_for 5 bash -c "! { PY3=$PY3 NET_DIR=$NET_DIR; $(declare -f ctl); ctl $ESOCK status; } |
	grep -q '^ike_sa '"

# ---- 4b. esprit's administrative verbs: up, rekey, rekey --ike, down SA, down RULE ------------
ESPRIT="$ESPRIT_BUILD/esprit"
[ -x "$ESPRIT" ] || bad "no $ESPRIT (the CLI is built with espritd)"
esprit_cli() { in_ns "$E" "$ESPRIT" "$1" --control "$ESOCK" "${@:2}" >>"$TMP/cli.log" 2>&1; }
child_id() { ctl "$ESOCK" sa | sed -n 's/^child_id \([0-9]*\)$/\1/p' | head -1; }
check "esprit up swan: negotiated without traffic" esprit_cli up swan
check "strongSwan: Child SA INSTALLED after esprit up" \
	wait_for 5 swan_child_up "$S" "$SW" swan
spis0=$(esprit_spis)
ike0=$(swan_ike_spi)
mark=$(wc -l <"$SW/charon.log")
in_ns "$E" curl -sS --max-time 40 --limit-rate 1000k -o "$TMP/admin.bin" \
	"http://$URL_S:8080/data.bin" &
CURL_PID=$!
PIDS+=("$CURL_PID")
sleep 0.8
check "esprit rekey CHILD during a download" esprit_cli rekey "$(child_id)"
sleep 0.8
check "esprit rekey --ike during the download" esprit_cli rekey --ike "$(child_id)"
if wait "$CURL_PID" && cmp -s "$TMP/www/data.bin" "$TMP/admin.bin"; then
	ok "download across esprit's rekeys is byte-identical"
else
	bad "download across esprit's rekeys"
fi
check "strongSwan got esprit's Child SA rekey and IKE SA rekey (CREATE_CHILD_SA)" bash -c \
	"tail -n +$mark '$SW/charon.log' | grep -q 'parsed CREATE_CHILD_SA request [0-9]* \\[ N(REKEY_SA) SA No' &&
	tail -n +$mark '$SW/charon.log' | grep -q 'parsed CREATE_CHILD_SA request [0-9]* \\[ SA No KE \\]'"
for _ in $(seq 20); do spis_agree && break; sleep 0.25; done
check "new Child SA SPIs on both sides, agreeing (esprit: $(echo $spis1), strongSwan: $(echo $sw1))" \
	bash -c "[ '$spis1' != '$spis0' ] && [ '$spis1' = '$sw1' ]"
wait_for 5 one_ike_sa
ike1=$(swan_ike_spi)
check "strongSwan: one IKE SA, the one esprit made by rekeying ($ike0 -> $ike1)" \
	bash -c "[ -n '$ike1' ] && [ '$ike1' != '$ike0' ] && [ \$(wc -l <<<'$ike1') -eq 1 ]"
swan_only_ike() { ! swan_sas | grep -q INSTALLED && swan_sas | grep -q '^swan: #.*ESTABLISHED'; }
check "esprit down CHILD" esprit_cli down "$(child_id)"
check "  ... strongSwan removed that Child SA, the IKE SA stays" wait_for 5 swan_only_ike
check "  ... espritd has no Child SA left" [ -z "$(child_id)" ]
check "esprit down RULE" esprit_cli down swan
check "  ... neither strongSwan nor espritd has an SA left" wait_for 5 no_sa_left

# ---- 5. again: liveness, a restarted esprit (INITIAL_CONTACT), then DELETE from esprit --------
if establish; then
	ok "re-established after the DELETE"
else
	bad "re-establishing after the DELETE"
fi
check "strongSwan: Child SA INSTALLED again" swan_child_up "$S" "$SW" swan
# strongSwan checks liveness after 1 s without inbound traffic (dpd_delay): esprit must answer
# the empty INFORMATIONAL request (RFC 7296 2.4) or strongSwan would close the SA.
mark=$(wc -l <"$SW/charon.log")
sleep 2.5
check "esprit answers strongSwan's liveness checks (DPD), the IKE SA stays" bash -c \
	"tail -n +$mark '$SW/charon.log' | grep -q 'sending DPD request' &&
	tail -n +$mark '$SW/charon.log' | grep -q 'parsed INFORMATIONAL response [0-9]* \\[ \\]' &&
	! tail -n +$mark '$SW/charon.log' | grep -q 'giving up after'"
# a crash: espritd killed without a word, restarted; its new IKE SA carries INITIAL_CONTACT
# (RFC 7296 2.4), so strongSwan drops the stale one
ike_old=$(swan_ike_spi)
kill -KILL "$EPID"
wait "$EPID" 2>/dev/null
ELOG="$TMP/espritd2.log"
if espritd_start "$E" "$TMP/esprit.conf" "$ELOG"; then
	ok "espritd restarted after SIGKILL"
else
	bad "espritd restart after SIGKILL"
fi
EPID=$ESPRITD_PID
if download "$TMP/restart.bin" && cmp -s "$TMP/www/data.bin" "$TMP/restart.bin"; then
	ok "the restarted esprit negotiates anew (acquire), download byte-identical"
else
	bad "download after the restart"
fi
check "its IKE_AUTH carried INITIAL_CONTACT, strongSwan destroyed the stale IKE SA for it" \
	bash -c "tail -n +$mark '$SW/charon.log' | grep -q 'parsed IKE_AUTH request 1 \\[ .*N(INIT_CONTACT)' &&
	tail -n +$mark '$SW/charon.log' | grep -q \"destroying duplicate IKE_SA for peer '.*', received INITIAL_CONTACT\""
check "strongSwan dropped the stale IKE SA $ike_old: exactly one left, a new one" \
	bash -c "[ \$(PY3=$PY3; $(declare -f swanctl_ns swan_sas); S=$S SW=$SW; swan_sas |
	grep -c '^swan: #') -eq 1 ] && [ '$(swan_ike_spi)' != '$ike_old' ]"
kill -TERM "$EPID"
rc=0
wait "$EPID" || rc=$?
check "espritd exits 0 on SIGTERM" [ "$rc" -eq 0 ]
check "strongSwan deleted its SAs after esprit's DELETE" \
	wait_for 5 bash -c "! { $(declare -f swanctl_ns); swanctl_ns $S $SW --list-sas; } |
	grep -q '^swan: '"
check "strongSwan's log shows the peer's DELETE" \
	grep -q "received DELETE for IKE_SA swan" "$SW/charon.log"
capture_stop

# ---- the wire ------------------------------------------------------------------------------
n_500=$(pcap_count "$TMP/wire.pcap" udp port 500)
n_4500=$(pcap_count "$TMP/wire.pcap" udp port 4500)
n_esp=$(pcap_count "$TMP/wire.pcap" $IPV proto 50)
n_plain=$(pcap_count "$TMP/wire.pcap" tcp port 8080)
echo "wire: $n_500 UDP 500, $n_4500 UDP 4500, $n_esp raw ESP, $n_plain plain TCP 8080"
check "IKE_SA_INIT on UDP 500 (>= 4 datagrams: two negotiations)" [ "$n_500" -ge 4 ]
check "everything else in UDP 4500 (>= 4000 datagrams for five downloads)" [ "$n_4500" -ge 4000 ]
check "no raw ESP and no plain TCP 8080 on the wire" [ $((n_esp + n_plain)) -eq 0 ]
net_finish "$TMP/espritd.log" "$TMP/espritd2.log" "$SW/charon.log"
