# shellcheck shell=bash
# Helpers shared by the IKE net tests test_ike_* and test_stats_ike (source lib.sh first): the
# one-rule IKE configuration and the PSK pair of them, a test PKI made with openssl, JSON from
# the control socket, the start of the server/client pair and the stop of every espritd with its
# checks.

# ike_conf FILTER AUTH [ACTION_EXTRA] [METHOD_EXTRA]: a policy with one negotiating rule `web`
# (ESP AES-GCM-128 with METHOD_EXTRA, e.g. its lifetime; transport) over FILTER, authenticated
# with AUTH (an `auth ...` line), and the default response rule.
ike_conf() {
	cat <<CONF
filter-list web {
	$1
}
action esp-gcm {
	negotiate
	method esp aes-gcm-128 ${4:-}
	pending hold 8
	${3:-}
}
policy p {
	rule web {
		filters web
		action esp-gcm
		$2
		mode transport
	}
	default-response yes
}
use policy p
CONF
}

# ike_psk_confs CHILD_LIFE [ACTION_EXTRA]: a fresh PSK in $TMP/psk (0600) and ike_conf with it
# for the two hosts of net_topology: $TMP/client.conf protects the client's HTTP to A_S,
# $TMP/server.conf wants IPsec from any client on port 80. Child SAs live 100000 kB or
# CHILD_LIFE (e.g. 3600s; "": the default lifetime); ACTION_EXTRA as for ike_conf (e.g.
# ike-lifetime 8s).
ike_psk_confs() {
	local life="${1:+lifetime 100000kb $1}"
	openssl rand -hex 24 >"$TMP/psk"
	chmod 600 "$TMP/psk"
	ike_conf "me -> $A_S tcp port 80 mirrored" "auth psk \"$TMP/psk\"" "${2:-}" "$life" \
		>"$TMP/client.conf"
	ike_conf "any -> me tcp port 80 mirrored" "auth psk \"$TMP/psk\"" "${2:-}" "$life" \
		>"$TMP/server.conf"
}

# pki_key FILE ec|ed25519: a private key, mode 0600 (ECDSA P-256 or Ed25519).
pki_key() {
	case "$2" in
	ed25519) openssl genpkey -algorithm ED25519 -out "$1" ;;
	*) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" ;;
	esac 2>/dev/null
	chmod 600 "$1"
}
# pki_ca NAME SUBJECT: a self-signed CA $TMP/NAME.pem with its key $TMP/NAME.key.
pki_ca() {
	pki_key "$TMP/$1.key" ec
	openssl req -x509 -new -key "$TMP/$1.key" -subj "$2" -days 2 \
		-addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign \
		-out "$TMP/$1.pem" 2>/dev/null
}
# pki_cert NAME CA SUBJECT ADDR KEYTYPE: $TMP/NAME.pem issued by CA, subjectAltName IP:ADDR.
pki_cert() {
	pki_key "$TMP/$1.key" "$5"
	openssl req -new -key "$TMP/$1.key" -subj "$3" -out "$TMP/$1.csr" 2>/dev/null
	printf '[v3]\nsubjectAltName=IP:%s\n' "$4" >"$TMP/$1.ext"
	openssl x509 -req -in "$TMP/$1.csr" -CA "$TMP/$2.pem" -CAkey "$TMP/$2.key" \
		-CAcreateserial -days 2 -extfile "$TMP/$1.ext" -extensions v3 \
		-out "$TMP/$1.pem" 2>/dev/null
}

# ctl_json SOCK CMD PYEXPR: PYEXPR evaluated over `esprit CMD --json` as d.
ctl_json() {
	ESPRIT_CONTROL="$1" "$ESPRIT" "$2" --json |
		"$PY3" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$3"
}
# mm SOCK NAME: the Main Mode counter ike_NAME of `esprit stats --json`.
mm() {
	ctl_json "$1" stats "d['main_mode']['ike_$2']"
}
# sa_web SOCK: how many Child SAs of rule web `esprit sa --json` lists.
sa_web() {
	sa_count "$1" web
}

# ike_start_failed LOG: an espritd did not start: count a failure and end the test with its
# log. After espritd_start (which counts one itself) this adds a second FAIL line; it is kept
# for callers that waited on their own (test_ike_dpd's client under libfaketime), where
# net_finish alone would exit 0 with nothing failed yet.
ike_start_failed() {
	bad "espritd starts (${1##*/})"
	net_finish "$1"
}

# ike_pair_start: lib.sh's espritd_side for S, then for C (PIDSV, PIDC, SS, CS): the server
# first, so that it listens on UDP 500 before the client can initiate.
ike_pair_start() {
	espritd_side S
	espritd_side C
}

# in_range N LO HI: LO <= N <= HI (one command, so that `check` sees the whole condition).
in_range() {
	[ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

# espritd_stop_all NS:PID...: SIGTERM each; each must exit 0 and leave nothing behind.
espritd_stop_all() {
	local pn rc
	for pn in "$@"; do
		kill -TERM "${pn#*:}"
		rc=0
		wait "${pn#*:}" || rc=$?
		check "espritd in ${pn%%:*} exits 0 and leaves nothing behind" \
			bash -c "[ $rc -eq 0 ] && $(declare -f espritd_gone in_ns); espritd_gone ${pn%%:*}"
	done
}
