# shellcheck shell=bash
# strongSwan 5.9.8 (Debian: charon + swanctl + the kernel-libipsec userspace backend) as an
# independent IKEv2 peer for the interop tests (tests/net/test_ike_swan*.sh) and for
# tests/net/swan/smoke.sh (strongSwan <-> strongSwan, proves this harness).
#
# Each charon gets its own directory D: strongswan.conf, swanctl/ (SWANCTL_DIR), the vici socket
# D/charon.vici, the log D/charon.log, and a private /run (charon's pid file path /run/charon.pid
# is compiled in, so two charons on one machine each need their own mount namespace: `unshare -m`
# + a bind mount of D/run over /run). See /work/shared/notes/strongswan-peer.md for what that
# backend can do: ESP tunnel mode only, always UDP-encapsulated on port 4500 (encap = yes).
#
# Use (after lib.sh or with your own PIDS array and in_ns/wait_for):
#   swan_dir D                       create D's layout and strongswan.conf
#   (write D/swanctl/swanctl.conf, e.g. with swan_conn_psk)
#   ip netns exec NS unshare -m --propagation private sh -c "$(swan_cmd D)" & SWAN_PID=$!
#   PIDS+=($SWAN_PID); swan_ready NS D    wait for vici, load the configuration
#   swanctl_ns NS D --initiate --child C ...
# Killing SWAN_PID (SIGTERM) stops that charon: the command execs it, so $! is charon itself.

SWAN_CHARON=/usr/lib/ipsec/charon

# swan_available: charon, swanctl and the plugins the configuration loads are installed.
swan_available() {
	local p
	[ -x "$SWAN_CHARON" ] && command -v swanctl >/dev/null && command -v unshare >/dev/null ||
		return 1
	for p in kernel-libipsec openssl gcm vici socket-default kernel-netlink; do
		[ -e "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] || return 1
	done
}

# swan_dir D: D/{run,swanctl/...} and D/strongswan.conf.
# The plugin list is explicit (load_modular = no): kernel-libipsec before kernel-netlink so it
# takes the IPsec role and kernel-netlink only does addresses and routes. The firewall mark
# keeps charon's own IKE and ESP-in-UDP datagrams out of the route into ipsec0 (table 220).
swan_dir() {
	local d="$1" s
	mkdir -p "$d/run"
	for s in conf.d x509 x509ca private rsa ecdsa pkcs8 pubkey; do
		mkdir -p "$d/swanctl/$s"
	done
	cat >"$d/strongswan.conf" <<CONF
charon {
	load_modular = no
	load = random nonce openssl pem pkcs1 pkcs8 x509 revocation constraints pubkey sha1 sha2 hmac gcm aes kdf kernel-libipsec kernel-netlink socket-default vici
	# never the host's syslog; everything into the test's own file
	syslog {
		daemon {
			default = -1
		}
	}
	filelog {
		swan {
			path = $d/charon.log
			time_format = %T
			default = 1
			ike = 2
			cfg = 2
			knl = 1
			flush_line = yes
		}
	}
	plugins {
		vici {
			socket = unix://$d/charon.vici
		}
		kernel-libipsec {
			allow_peer_ts = yes
		}
		socket-default {
			fwmark = 0x42
		}
		kernel-netlink {
			fwmark = !0x42
		}
	}
}
CONF
	cat >"$d/swanctl.strongswan" <<CONF
swanctl {
	load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey sha1 sha2
}
CONF
}

# swan_cmd D: the shell command (run under `unshare -m`) that gives charon D/run as /run and
# execs it with D's configuration.
swan_cmd() {
	printf 'mount --bind %q /run && STRONGSWAN_CONF=%q exec %q' "$1/run" "$1/strongswan.conf" \
		"$SWAN_CHARON"
}

# swanctl_ns NS D COMMAND [ARGS...]: swanctl COMMAND against D's charon (5.9.8 takes --uri
# after the command); swanctl reads D/swanctl.conf.strongswan, not the host's plugin list.
swanctl_ns() {
	local ns="$1" d="$2" cmd="$3"
	shift 3
	ip netns exec "$ns" env SWANCTL_DIR="$d/swanctl" STRONGSWAN_CONF="$d/swanctl.strongswan" \
		swanctl "$cmd" --uri "unix://$d/charon.vici" "$@"
}

# swan_ready NS D: wait for D's vici socket (15 s), then load D's swanctl.conf.
swan_ready() {
	local end=$((SECONDS + 15))
	while [ $SECONDS -lt $end ]; do
		[ -S "$2/charon.vici" ] && swanctl_ns "$1" "$2" --stats >/dev/null 2>&1 && break
		sleep 0.1
	done
	swanctl_ns "$1" "$2" --load-all --noprompt >"$2/load.log" 2>&1 || {
		cat "$2/load.log"
		return 1
	}
}

# SWAN_MORE_CHILDREN: more child sections for the connections written below (swan_child).
SWAN_MORE_CHILDREN=""

# swan_child NAME LOCAL_TS REMOTE_TS ESP_PROPOSALS: one more tunnel child section, appended to
# SWAN_MORE_CHILDREN (traffic selectors in swanctl syntax, e.g. 10.0.0.1[tcp/8080]).
swan_child() {
	SWAN_MORE_CHILDREN+="
			$1 {
				mode = tunnel
				local_ts = $2
				remote_ts = $3
				esp_proposals = $4
			}"
}

# swan_conn_psk D NAME LOCAL REMOTE PSK IKE_PROPOSALS ESP_PROPOSALS [EXTRA_CHILD [EXTRA_CONN]]:
# D/swanctl/swanctl.conf with one IKEv2 connection NAME (child NAME too): PSK authentication
# with IP address IDs, host-to-host tunnel (traffic selectors = the two addresses), ESP in UDP
# (encap = yes). EXTRA_CHILD / EXTRA_CONN are more settings (e.g. "rekey_time = 10s",
# "start_action = trap").
swan_conn_psk() {
	local d="$1" name="$2" l="$3" r="$4" psk="$5" ike="$6" esp="$7"
	local xchild="${8:-}" xconn="${9:-}"
	cat >"$d/swanctl/swanctl.conf" <<CONF
connections {
	$name {
		version = 2
		local_addrs = $l
		remote_addrs = $r
		proposals = $ike
		encap = yes
		$xconn
		local {
			auth = psk
			id = $l
		}
		remote {
			auth = psk
			id = $r
		}
		children {
			$name {
				mode = tunnel
				local_ts = $l
				remote_ts = $r
				esp_proposals = $esp
				$xchild
			}
			$SWAN_MORE_CHILDREN
		}
	}
}
secrets {
	ike-$name {
		id-l = $l
		id-r = $r
		secret = "$psk"
	}
}
CONF
}

# swan_conn_cert D NAME LOCAL REMOTE LOCAL_ID REMOTE_ID IKE ESP CA CERT KEY [EXTRA_CHILD
# [EXTRA_CONN]]: as
# swan_conn_psk with public key authentication: CA (PEM) as trust anchor, CERT/KEY ours
# (copied into D/swanctl; swanctl --load-all loads every key in private/), IDs as given (an address, or a DN such as "CN=x, O=y").
swan_conn_cert() {
	local d="$1" name="$2" l="$3" r="$4" lid="$5" rid="$6" ike="$7" esp="$8"
	local xchild="${12:-}" xconn="${13:-}"
	cp "$9" "$d/swanctl/x509ca/ca.pem"
	cp "${10}" "$d/swanctl/x509/own.pem"
	cp "${11}" "$d/swanctl/private/own.key"
	chmod 600 "$d/swanctl/private/own.key"
	cat >"$d/swanctl/swanctl.conf" <<CONF
connections {
	$name {
		version = 2
		local_addrs = $l
		remote_addrs = $r
		proposals = $ike
		encap = yes
		send_certreq = yes
		$xconn
		local {
			auth = pubkey
			certs = own.pem
			id = "$lid"
		}
		remote {
			auth = pubkey
			id = "$rid"
		}
		children {
			$name {
				mode = tunnel
				local_ts = $l
				remote_ts = $r
				esp_proposals = $esp
				$xchild
			}
			$SWAN_MORE_CHILDREN
		}
	}
}
CONF
}

# swan_netns_prep NS: what charon's namespace needs: loopback, rp_filter loose (ESP-in-UDP
# arrives on the veth while the reverse route points into ipsec0).
swan_netns_prep() {
	ip netns exec "$1" ip link set lo up
	ip netns exec "$1" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

# With tests/net/lib.sh (net_ns, PIDS, TMP):
# swan_topology PREFIX [4|6]: namespaces E (espritd) and S (charon), PREFIX and the shell's pid in
# their names, joined by one veth (ve in E, vs in S); A_E/A_S their addresses (10.72.0.1/.2 or
# fd00:72::1/::2), IPV (ip|ip6) and URL_S (A_S for a URL).
swan_topology() {
	if [ "${2:-4}" = 6 ]; then
		A_E=fd00:72::1 A_S=fd00:72::2 PLEN=64 NODAD=nodad IPV=ip6 URL_S="[fd00:72::2]"
	else
		A_E=10.72.0.1 A_S=10.72.0.2 PLEN=24 NODAD="" IPV=ip URL_S=10.72.0.2
	fi
	E=${1}e$$ S=${1}s$$
	net_ns "$E"
	net_ns "$S"
	swan_netns_prep "$S"
	ip link add ve netns "$E" type veth peer name vs netns "$S" || exit 1
	# shellcheck disable=SC2086 # NODAD is empty or one word
	ip -n "$E" addr add $A_E/$PLEN dev ve $NODAD
	# shellcheck disable=SC2086
	ip -n "$S" addr add $A_S/$PLEN dev vs $NODAD
	ip -n "$E" link set ve up
	ip -n "$S" link set vs up
}

# swan_start D: charon with directory D in namespace S, configuration loaded (exits 1 with its
# output if it does not come up); SWAN_PID is charon's pid (also in PIDS). Not in a subshell.
swan_start() {
	ip netns exec "$S" unshare -m --propagation private sh -c "$(swan_cmd "$1")" >"$1/out" 2>&1 &
	SWAN_PID=$!
	PIDS+=("$SWAN_PID")
	swan_ready "$S" "$1" || {
		cat "$1/out" "$1/charon.log"
		exit 1
	}
}

# swan_psk: PSK (random text) and the 0600 file $TMP/psk holding it, for esprit's `auth psk`.
swan_psk() {
	PSK="interop-$(openssl rand -hex 12)"
	printf '%s\n' "$PSK" >"$TMP/psk"
	chmod 600 "$TMP/psk"
}

# swan_esprit_conf AUTH yes|off [GLOBAL [ACTION [RULE_EXTRA [RULES_BEFORE]]]]: esprit's side of
# the interop tests on stdout (as ike_conf in ike_lib.sh for esprit <-> esprit): policy interop
# with rule swan, a tunnel to A_S for everything between the two hosts (filter-list to-swan),
# action swan negotiating ACTION (lines; default ESP AES-GCM-128) and holding what waits for
# it, authenticated with AUTH (an `auth ...` line) and RULE_EXTRA (e.g. local-id, remote-id);
# default-response yes or off. GLOBAL: lines before the policy (ike-method, dpd-delay, more
# filter lists ...); RULES_BEFORE: rules matched before rule swan.
swan_esprit_conf() {
	cat <<CONF
${3:-}
filter-list to-swan {
	me -> $A_S mirrored
}
action swan {
	negotiate
	${4:-method esp aes-gcm-128}
	pending hold 32
}
policy interop {
	${6:-}
	rule swan {
		filters to-swan
		action swan
		$1
		${5:-}
		mode tunnel $A_S
	}
	default-response $2
}
use policy interop
CONF
}

# swan_espritd CONF [NAME]: espritd in namespace E with CONF; ELOG, ESOCK (its log and control
# socket, $TMP/NAME.log and .sock, NAME default espritd) and EPID; exits 1 with the log if it
# does not come up. Not in a subshell.
swan_espritd() {
	ELOG="$TMP/${2:-espritd}.log"
	ESOCK="$TMP/${2:-espritd}.sock"
	espritd_start "$E" "$1" "$ELOG" || {
		cat "$ELOG"
		exit 1
	}
	EPID=$ESPRITD_PID
}

# swan_http SIZE: $TMP/www/data.bin of SIZE random octets served by python3 http.server on
# A_S port 8080 in namespace S.
swan_http() {
	mkdir -p "$TMP/www"
	head -c "$1" /dev/urandom >"$TMP/www/data.bin"
	ip netns exec "$S" "$PY3" -m http.server 8080 --bind "$A_S" --directory "$TMP/www" \
		>"$TMP/http.log" 2>&1 &
	PIDS+=($!)
	wait_for 10 port_open "$S" "$A_S" 8080 || bad "HTTP server in $S"
}

# swan_child_up NS D CHILD: a Child SA named CHILD is INSTALLED in D's charon.
swan_child_up() {
	swanctl_ns "$1" "$2" --list-sas 2>/dev/null | grep -q "^  $3: .*INSTALLED"
}
