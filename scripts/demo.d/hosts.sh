# shellcheck shell=bash
# The demo's hosts, addresses and esprit configurations. write_config is the one place that
# decides how each host is keyed: every host gets its policy (filter lists, actions, rules);
# DEMO_KEYING=manual adds 'sa' statements with keys in 0600 files, DEMO_KEYING=ike adds PSK
# authentication to each rule instead and lets IKEv2 negotiate the SAs.
#
#   web 10.0.0.2 ── 10.0.0.1 frontend 10.1.0.1 ──┬── 10.1.0.2 backend 10.4.0.2 ──┐
#                            10.3.0.1             └── 10.1.0.3 legacy              │
#                               │                      (bridge "lan")              │
#                               └── 10.3.0.254 firewall 10.4.0.254 ────────────────┘

A_WEB=10.0.0.2 A_FE_WEB=10.0.0.1
A_FE=10.1.0.1 A_BE=10.1.0.2 A_LEGACY=10.1.0.3
A_FE_FW=10.3.0.1 A_FW_FE=10.3.0.254 A_FW_BE=10.4.0.254 A_BE_FW=10.4.0.2

MAIL_PORTS="80, 110, 143" # HTTP, POP3, IMAP: the traffic the Exchange guide protects
AH_PORT=8080              # the AH scenario's own HTTP port

# key NAME OCTETS: a random key file (0x-hex, mode 0600) for one SA direction.
key() {
	(umask 077 && echo "0x$(openssl rand -hex "$2")" >"$TMP/$1.key")
}

make_keys() {
	key fe-be 20 # AES-GCM-128: 16 key octets + 4 salt octets (RFC 4106 8.1)
	key fe-be-r 20
	key ah-fe-be 32 # HMAC-SHA2-256-128 (RFC 4868)
	key ah-fe-be-r 32
	key fe-fw 36 # AES-GCM-256: 32 + 4
	key fe-fw-r 36
	key fw-be 36
	key fw-be-r 36
	(umask 077 && openssl rand -hex 32 >"$TMP/demo.psk")
}

# sa_pair SIDE PROTO SPI MODE A B ALG KEY PORTS: the two manual SAs between A, the client
# (connects to tcp PORTS), and B, the server, as host SIDE (a or b) writes them. A -> B uses SPI
# and key file KEY, B -> A uses SPI+1 and KEY-r. What must arrive protected is the policy's
# business (its rules' negotiate actions), not the SAs'.
sa_pair() {
	local side=$1 proto=$2 spi=$3 mode=$4 a=$5 b=$6 alg=$7 k=$8 ports=$9
	local fwd="sa DIR $proto spi $spi $mode $a -> $b $alg key file \"$TMP/$k.key\""
	local rev
	rev="sa DIR $proto spi $(printf 0x%x $((spi + 1))) $mode $b -> $a $alg key file \"$TMP/$k-r.key\""
	if [ "$side" = a ]; then
		echo "${fwd/DIR/out} selector tcp port { $ports }"
		echo "${rev/DIR/in} selector tcp sport { $ports }"
	else
		echo "${fwd/DIR/in} selector tcp port { $ports }"
		echo "${rev/DIR/out} selector tcp sport { $ports }"
	fi
}

# Policies (esprit.conf(5)), the same for both keyings: what is protected, how, and what must
# arrive protected (negotiate without fallback = require). With IKE each rule also says how
# the peers authenticate; with manual keys the 'sa' lines after the policy hold the keys.
action() { # action NAME METHOD
	printf 'action %s {\n\tnegotiate\n\tmethod %s\n}\n' "$1" "$2"
}
rule() { # rule NAME FILTER-LIST ACTION MODE
	printf '\trule %s {\n\t\tfilters %s\n\t\taction %s\n' "$1" "$2" "$3"
	[ "$DEMO_KEYING" = ike ] && printf '\t\tauth psk "%s"\n' "$TMP/demo.psk"
	printf '\t\tmode %s\n\t}\n' "$4"
}

# The front-end requires ESP for HTTP, POP3 and IMAP to the back-end (transport mode), signs
# port 8080 with AH, and reaches the back-end's services through the firewall (tunnel A).
conf_frontend() {
	echo "# front-end: ESP required to the back-end for HTTP, POP3, IMAP"
	echo "no-default-exempt 3"
	echo "filter-list to-backend { me -> $A_BE tcp port { $MAIL_PORTS } mirrored }"
	echo "filter-list to-backend-ah { me -> $A_BE tcp port $AH_PORT mirrored }"
	echo "filter-list to-firewall { me -> $A_FW_FE tcp port { $MAIL_PORTS } mirrored }"
	action esp-required "esp aes-gcm-128"
	action ah-required "ah hmac-sha2-256"
	action tunnel-esp "esp aes-gcm-256"
	echo "policy frontend {"
	rule to-backend to-backend esp-required transport
	rule to-backend-ah to-backend-ah ah-required transport
	rule to-firewall to-firewall tunnel-esp "tunnel $A_FW_FE local $A_FE_FW"
	echo "	default-response yes"
	echo "}"
	echo "use policy frontend"
	[ "$DEMO_KEYING" = manual ] || return 0
	sa_pair a esp 0x2001 transport $A_FE $A_BE aes-gcm-128 fe-be "$MAIL_PORTS"
	sa_pair a ah 0x3001 transport $A_FE $A_BE hmac-sha2-256 ah-fe-be "$AH_PORT"
	sa_pair a esp 0x4001 tunnel $A_FE_FW $A_FW_FE aes-gcm-256 fe-fw "$MAIL_PORTS"
}

# The back-end is "Client (Respond Only)" towards everyone: its default response rule answers
# protected requests protected and it never requires protection, so the legacy client keeps
# working in clear. Its one rule is its end of tunnel B, from the firewall.
conf_backend() {
	echo "# back-end: respond only; tunnel B from the firewall"
	echo "filter-list from-firewall { $A_FW_BE -> me tcp port { $MAIL_PORTS } mirrored }"
	action tunnel-esp "esp aes-gcm-256"
	echo "policy backend {"
	rule tunnel-firewall from-firewall tunnel-esp "tunnel $A_FW_BE local $A_BE_FW"
	echo "	default-response yes"
	# IKE: the key for the default response rule too (answering the front-end)
	[ "$DEMO_KEYING" = ike ] && printf '\tauth psk "%s"\n' "$TMP/demo.psk"
	echo "}"
	echo "use policy backend"
	[ "$DEMO_KEYING" = manual ] || return 0
	sa_pair b esp 0x2001 transport $A_FE $A_BE aes-gcm-128 fe-be "$MAIL_PORTS"
	sa_pair b ah 0x3001 transport $A_FE $A_BE hmac-sha2-256 ah-fe-be "$AH_PORT"
	sa_pair b esp 0x5001 tunnel $A_FW_BE $A_BE_FW aes-gcm-256 fw-be "$MAIL_PORTS"
}

# The firewall ends both tunnels: A towards the front-end, B towards the back-end; nothing
# else is negotiated with it.
conf_firewall() {
	echo "# firewall: tunnel A (front-end side) and tunnel B (back-end side)"
	echo "no-default-exempt 3"
	echo "filter-list from-frontend { $A_FE_FW -> me tcp port { $MAIL_PORTS } mirrored }"
	echo "filter-list to-backend { me -> $A_BE_FW tcp port { $MAIL_PORTS } mirrored }"
	action tunnel-esp "esp aes-gcm-256"
	echo "policy firewall {"
	rule tunnel-frontend from-frontend tunnel-esp "tunnel $A_FE_FW local $A_FW_FE"
	rule tunnel-backend to-backend tunnel-esp "tunnel $A_BE_FW local $A_FW_BE"
	echo "	default-response off"
	echo "}"
	echo "use policy firewall"
	[ "$DEMO_KEYING" = manual ] || return 0
	sa_pair b esp 0x4001 tunnel $A_FE_FW $A_FW_FE aes-gcm-256 fe-fw "$MAIL_PORTS"
	sa_pair a esp 0x5001 tunnel $A_FW_BE $A_BE_FW aes-gcm-256 fw-be "$MAIL_PORTS"
}

# write_config HOST: $TMP/HOST.conf for DEMO_KEYING (manual or ike).
write_config() {
	"conf_$1" >"$TMP/$1.conf"
}

