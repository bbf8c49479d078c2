#!/usr/bin/env bash
# Real applications over espritd: nginx (HTTP) and dovecot (POP3, IMAP) on the server, curl on
# the client, manual transport-mode SAs for TCP ports 80, 110 and 143, the server requiring them.
#
#   ns C (client: curl)     ns W (switch: bridge br0)     ns S (server: nginx :80, dovecot :110 :143)
#   A_C vc --------------- wc        br0        ws --------------- vs A_S
#                                     |
#                                     wt --------------- vt A_T  ns T (third host, no SA)
#
# Checks: curl fetches a web page and a 1 MB file (byte-identical), the mailbox's one message
# over POP3 and over IMAP (its body text, which is unique to this run); the server's wire holds
# ESP (raw protocol 50, or UDP 4500) and no TCP port 80/110/143 between the two hosts, and none
# of the message's or page's text anywhere; the third host's plaintext POP3/IMAP/HTTP
# connections are dropped; tshark, given `esprit export-wireshark --keys`, decrypts the capture
# back to the HTTP request and page, the POP3 RETR and the IMAP FETCH with the message's body;
# SIGTERM leaves nothing of esprit in either namespace.
# Variants (diagonal over the matrix, each its own script):
#   test_mail.sh              IPv4, AES-GCM-128, raw ESP
#   test_mail_cbc_udp.sh      IPv4, AES-CBC-128 + HMAC-SHA2-256-128, ESP in UDP 4500
#   test_mail6_cbc.sh         IPv6, AES-CBC-128 + HMAC-SHA2-256-128, raw ESP
#   test_mail6_gcm_udp.sh     IPv6, AES-GCM-128, ESP in UDP 4500
# Environment: ESPRIT_NET_FAMILY=4|6, ESPRIT_NET_ALG=gcm|cbc, ESPRIT_NET_ENCAP=udp|"".
set -uo pipefail
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

net_init mail curl openssl cmp nginx dovecot tshark
net_variant 31 gcm
net_topology
espritd_pair "selector tcp port {80, 110, 143}" "selector tcp sport {80, 110, 143}"
ok "espritd runs in client and server"

# ---- servers ------------------------------------------------------------------------------
TOKEN="esprit-$(openssl rand -hex 8)" # text that must never be seen on the wire
mkdir -p "$TMP/nginx/www"
echo "<html><body>front-end page $TOKEN-web</body></html>" >"$TMP/nginx/www/index.html"
head -c 1000000 /dev/urandom >"$TMP/nginx/www/big.bin"
chmod -R a+rX "$TMP/nginx"
nginx_start "$S" "$TMP/nginx" "$A_S" || bad "nginx did not start: $(cat "$TMP/nginx/stderr")"
cat >"$TMP/message" <<MSG
From: backend-admin@example.com
To: test@example.com
Subject: esprit mail test
Date: Tue, 14 Nov 2023 22:13:20 +0000
Message-ID: <$TOKEN@example.com>

The body of this message is $TOKEN-mail and nobody on the wire may read it.
MSG
dovecot_start "$S" "$TMP/dovecot" "$A_S" test "pw-$TOKEN" "$TMP/message" ||
	bad "dovecot did not start: $(cat "$TMP/dovecot/stderr" "$TMP/dovecot/dovecot.log")"
ok "nginx and dovecot listen on $A_S"

capture_start "$S" vs "$TMP/wire.pcap"

# ---- the applications over the SAs ----------------------------------------------------------
CURL=(curl -sS --max-time 20)
if in_ns "$C" "${CURL[@]}" -o "$TMP/index.html" "http://$URL_S/" &&
	cmp -s "$TMP/index.html" "$TMP/nginx/www/index.html"; then
	ok "HTTP: curl gets nginx's page"
else
	bad "HTTP: page"
fi
if in_ns "$C" "${CURL[@]}" -o "$TMP/big.bin" "http://$URL_S/big.bin" &&
	cmp -s "$TMP/big.bin" "$TMP/nginx/www/big.bin"; then
	ok "HTTP: a 1 MB download is byte-identical"
else
	bad "HTTP: 1 MB download"
fi
USERPW="test:pw-$TOKEN"
if in_ns "$C" "${CURL[@]}" -u "$USERPW" -o "$TMP/pop3.txt" "pop3://$URL_S/1" &&
	grep -q "^The body of this message is $TOKEN-mail" "$TMP/pop3.txt" &&
	grep -q "^Subject: esprit mail test" "$TMP/pop3.txt"; then
	ok "POP3: curl RETR 1 returns the message"
else
	bad "POP3: message: $(head -c 300 "$TMP/pop3.txt" 2>/dev/null)"
fi
if in_ns "$C" "${CURL[@]}" -u "$USERPW" -o "$TMP/pop3.list" "pop3://$URL_S/" &&
	[ "$(wc -l <"$TMP/pop3.list")" -eq 1 ]; then
	ok "POP3: LIST shows one message"
else
	bad "POP3: LIST: $(cat "$TMP/pop3.list" 2>/dev/null)"
fi
if in_ns "$C" "${CURL[@]}" -u "$USERPW" -o "$TMP/imap.txt" "imap://$URL_S/INBOX;UID=1" &&
	grep -q "^The body of this message is $TOKEN-mail" "$TMP/imap.txt" &&
	grep -q "^Message-ID: <$TOKEN@example.com>" "$TMP/imap.txt"; then
	ok "IMAP: curl FETCH UID 1 in INBOX returns the message"
else
	bad "IMAP: message: $(head -c 300 "$TMP/imap.txt" 2>/dev/null)"
fi
if in_ns "$C" "${CURL[@]}" -u "test:wrong" -o /dev/null "imap://$URL_S/INBOX;UID=1" 2>/dev/null; then
	bad "IMAP: a wrong password was accepted"
else
	ok "IMAP: a wrong password is refused (dovecot really checks)"
fi

# ---- the third host, without SAs: the server requires protection ---------------------------
for u in "http://$URL_S/" "pop3://$URL_S/1" "imap://$URL_S/INBOX;UID=1"; do
	if in_ns "$T" curl -sS --max-time 2 -u "$USERPW" -o /dev/null "$u" 2>/dev/null; then
		bad "plaintext ${u%%:*} from the third host was served"
	else
		ok "plaintext ${u%%:*} from the third host fails"
	fi
done
capture_stop

# ---- the wire ------------------------------------------------------------------------------
P=$TMP/wire.pcap
n_esp=$(pcap_count "$P" "$IPV proto 50 and host $A_C")
n_natt=$(pcap_count "$P" "udp port 4500 and host $A_C")
n_plain=$(pcap_count "$P" "tcp and host $A_C and (port 80 or port 110 or port 143)")
n_third=$(pcap_count "$P" "tcp and src host $A_T and (port 80 or port 110 or port 143)")
n_reply=$(pcap_count "$P" "tcp and src host $A_S and dst host $A_T")
echo "wire: $n_esp raw ESP, $n_natt UDP-4500, $n_plain plaintext 80/110/143 C<->S," \
	"$n_third SYNs from T, $n_reply replies to T"
if [ -n "$ENCAP" ]; then
	check "ESP in UDP 4500 between client and server (>= 500 packets)" [ "$n_natt" -ge 500 ]
	check "no raw ESP" [ "$n_esp" -eq 0 ]
else
	check "raw ESP (protocol 50) between client and server (>= 500 packets)" [ "$n_esp" -ge 500 ]
	check "no UDP 4500" [ "$n_natt" -eq 0 ]
fi
check "no plaintext TCP port 80/110/143 between client and server" [ "$n_plain" -eq 0 ]
check "the third host's SYNs reached the server's wire" [ "$n_third" -ge 3 ]
check "the server answered the third host nothing" [ "$n_reply" -eq 0 ]
for t in "$TOKEN-web" "$TOKEN-mail" "$TOKEN@example.com" "pw-$TOKEN"; do
	if grep -qaF -- "$t" "$P"; then
		bad "'$t' readable in the capture"
	else
		ok "'$t' nowhere in the capture"
	fi
done

# ---- tshark, given the client's SAs with keys (esprit export-wireshark --keys), reads the apps ---
"$ESPRIT_BUILD/esprit" export-wireshark --keys --control "$CS" >"$TMP/keys.uat" ||
	bad "esprit export-wireshark --keys"
TS=(tshark -n -r "$P" -o esp.enable_encryption_decode:TRUE -o tcp.desegment_tcp_streams:FALSE)
while IFS= read -r line; do
	TS+=(-o "uat:esp_sa:$line")
done < <(grep -v '^#' "$TMP/keys.uat")
"${TS[@]}" -Y "http || pop || imap" -V >"$TMP/decrypted.txt" 2>"$TMP/tshark.err"
for what in "GET / HTTP/1.1:the HTTP request" "$TOKEN-web:the page" "RETR 1:the POP3 RETR" \
	"UID FETCH 1:the IMAP FETCH" "$TOKEN-mail:the message's body"; do
	check "tshark decrypts ESP to ${what#*:}" grep -qF -- "${what%%:*}" "$TMP/decrypted.txt"
done

# ---- SIGTERM: everything removed ----------------------------------------------------------
espritd_stop_pair
net_finish "$TMP/client.log" "$TMP/server.log" "$TMP/dovecot/dovecot.log" "$TMP/nginx/error.log"
