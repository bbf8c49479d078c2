#!/usr/bin/env bash
# A Child SA only for a rule whose authentication the peer proved (RFC 4301 4.4.3.3): two
# espritd (IKEv2, preshared keys, ESP transport), the server with two rules for the same client
# that want different keys, the client knowing only the first one.
#
#   ns C (client, initiator)            ns W (bridge)           ns S (server, responder)
#   rule web  tcp 80  psk kA                                    rule web  tcp 80  psk kA   nginx
#   rule mail tcp 110 psk kA                                    rule mail tcp 110 psk kB   dovecot
#   A_C curl --------------------------------------------------------------- A_S
#
# No rule has a remote-id, so identities do not tell the rules apart: only the key does.
# Checks: an HTTP download (byte-identical) brings up the IKE SA, proved with kA under rule
# web, and web's pair on both ends. A POP3 fetch from C then makes C ask for mail's Child SA
# on that IKE SA (C's mail rule holds the same key); S refuses it (TS_UNACCEPTABLE, logged as
# "rule mail does not accept that key", a negotiation failure counted), or fails a second
# IKE_AUTH for it; C backs off; S lists no SA of rule mail and the fetch fails. Control: kB
# rewritten with kA's content and both daemons reloaded (SIGHUP; a reload forgets C's
# backoff), the same fetch brings up mail's pair on both ends and gets the message through it.
# Before fd0b536 S installed mail's pair on web's IKE SA (the "no SA of rule mail" check).
# shellcheck disable=SC2317 # helpers below run through check and wait_for
# shellcheck source=tests/net/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
net_init ikab curl openssl cmp nginx dovecot
net_family 4 47
ESPRIT="$ESPRIT_BUILD/esprit"
net_topology

# ab_conf FROM_TO KEY_WEB KEY_MAIL: rules web (TCP 80) and mail (TCP 110) for the filters
# FROM_TO ("me -> A_S" on the client, "any -> me" on the server), negotiated ESP, each rule
# with its own PSK file.
ab_conf() {
	cat <<CONF
filter-list web {
	$1 tcp port 80 mirrored
}
filter-list mail {
	$1 tcp port 110 mirrored
}
action esp-gcm {
	negotiate
	method esp aes-gcm-128
	pending hold 8
}
policy p {
	rule web {
		filters web
		action esp-gcm
		auth psk "$2"
		mode transport
	}
	rule mail {
		filters mail
		action esp-gcm
		auth psk "$3"
		mode transport
	}
	default-response yes
}
use policy p
CONF
}
for k in kA kB; do
	openssl rand -hex 24 >"$TMP/$k"
	chmod 600 "$TMP/$k"
done
ab_conf "any -> me" "$TMP/kA" "$TMP/kB" >"$TMP/server.conf"
ab_conf "me -> $A_S" "$TMP/kA" "$TMP/kA" >"$TMP/client.conf"
LOGS=("$TMP/client.log" "$TMP/server.log")

ike_pair_start

nginx_start "$S" "$TMP/ngx" "$A_S" || bad "nginx did not start"
head -c 1000000 /dev/urandom >"$TMP/ngx/www/data.bin"
TOKEN="ikab-$(openssl rand -hex 8)"
printf 'From: a@example.com\nSubject: auth bind\n\nbody %s\n' "$TOKEN" >"$TMP/message"
dovecot_start "$S" "$TMP/dovecot" "$A_S" test "pw-$TOKEN" "$TMP/message" ||
	bad "dovecot did not start: $(cat "$TMP/dovecot/stderr" "$TMP/dovecot/dovecot.log")"

# pop3 SECONDS: C fetches the message over POP3 within SECONDS.
pop3() {
	rm -f "$TMP/pop3.txt"
	in_ns "$C" curl -sS --max-time "$1" -u "test:pw-$TOKEN" -o "$TMP/pop3.txt" \
		"pop3://$A_S/1" 2>/dev/null && grep -q "^body $TOKEN" "$TMP/pop3.txt"
}
# mail_tried: C's Child SA for mail was refused (it backs off) or installed, either way over.
mail_tried() {
	grep -Eq "failed: traffic selectors unacceptable; .*\(rule mail\)|child [0-9]+ \(mail\) installed" \
		"$TMP/client.log"
}
# reloaded LOG N: the daemon logged more than N finished reloads.
reloads() { grep -c "reload: .* SAs kept" "$1"; }
reloaded() { [ "$(reloads "$1")" -gt "$2" ]; }
pair_of() { [ "$(sa_count "$1" "$2")" = "$3" ]; } # pair_of SOCK RULE N: N SAs of RULE

# ---- web: the IKE SA, proved with kA, and web's pair ----------------------------------------
if in_ns "$C" curl -sS --max-time 30 -o "$TMP/got.bin" "http://$A_S/data.bin"; then
	ok "HTTP download through negotiated ESP"
else
	bad "HTTP download failed"
fi
check "download is byte-identical" cmp -s "$TMP/ngx/www/data.bin" "$TMP/got.bin"
check "server lists web's pair (esprit sa --json)" pair_of "$SS" web 2
check "client lists web's pair (esprit sa --json)" pair_of "$CS" web 2
nf0=$(mm "$SS" negotiation_failures)

# ---- mail on web's IKE SA: refused, C knows only kA ------------------------------------------
if pop3 4; then
	bad "POP3 fetch succeeded although S's mail rule wants a key C does not have"
else
	ok "POP3 fetch fails (mail's Child SA refused)"
fi
check "client's attempt at mail's Child SA is over (refused or installed)" wait_for 15 mail_tried
check "server installed no SA of rule mail" pair_of "$SS" mail 0
check "client installed no SA of rule mail" pair_of "$CS" mail 0
# refused_at_s: S refused mail on web's IKE SA, or a second IKE SA of C's failed its IKE_AUTH.
refused_at_s() {
	grep -q "TS_UNACCEPTABLE: IKE SA authenticated for rule web with pre-shared key, rule mail does not accept that key" \
		"$TMP/server.log" || [ "$(mm "$SS" authentication_failures)" -gt 0 ]
}
check "server refused mail: web's IKE SA proved kA, mail does not accept that key" refused_at_s
check "server counted the refusal as a negotiation failure" \
	[ "$(mm "$SS" negotiation_failures)" -gt "$nf0" ]
check "server still lists web's pair" pair_of "$SS" web 2

# ---- control: mail's key becomes kA, and mail's pair comes up --------------------------------
cp "$TMP/kA" "$TMP/kB"
for d in "$S:$PIDSV:$TMP/server.log" "$C:$PIDC:$TMP/client.log"; do
	IFS=: read -r ns pid log <<<"$d"
	n=$(reloads "$log")
	kill -HUP "$pid"
	check "espritd in $ns reloads" wait_for 15 reloaded "$log" "$n"
done
if pop3 20; then
	ok "POP3 fetch gets the message once mail accepts kA"
else
	bad "no POP3 fetch after mail's key became kA: $(head -c 200 "$TMP/pop3.txt" 2>/dev/null)"
fi
check "server lists mail's pair" wait_for 10 pair_of "$SS" mail 2
check "client lists mail's pair" wait_for 10 pair_of "$CS" mail 2
# mail_in_bytes: octets the server's inbound SA of rule mail counted
mail_in_bytes() {
	sa_eval "$SS" "sum(s['bytes'] for s in sas if s['origin'] == 'mail' and s['dir'] == 'in')"
}
check "the fetch went through mail's inbound SA on the server" [ "$(mail_in_bytes)" -gt 0 ]
check "mail's pair shares web's IKE SA now that the keys are equal (one IKE SA on S)" \
	[ "$(sa_eval "$SS" "len(ike_sas)")" = 1 ]

espritd_stop_all "$C:$PIDC" "$S:$PIDSV"
net_finish "${LOGS[@]}"
