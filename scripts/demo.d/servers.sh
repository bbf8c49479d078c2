# shellcheck shell=bash
# Real servers for the demo, each with its own configuration, pid file and log under $TMP,
# started with `ip netns exec` directly so their PIDs can be killed (PIDS, see scripts/demo).
# The demo needs several addresses and a reverse proxy, so it writes its own configurations;
# wait_for and port_open come from tests/net/lib.sh.

# nginx_conf DIR SERVER-BLOCKS: a self-contained nginx.conf under DIR.
nginx_conf() {
	mkdir -p "$1/tmp"
	cat >"$1/nginx.conf" <<CONF
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log;
events { worker_connections 64; }
http {
	access_log $1/access.log;
	client_body_temp_path $1/tmp/body;
	proxy_temp_path $1/tmp/proxy;
	default_type text/plain;
$2
}
CONF
}

# start_nginx NS DIR: run nginx in the foreground of its own namespace.
start_nginx() {
	ip netns exec "$1" nginx -p "$2" -c "$2/nginx.conf" -g "daemon off;" >"$2/stderr" 2>&1 &
	PIDS+=($!)
}

# The back-end's web server: the mail web front (port 80) and the AH scenario's port.
setup_backend_web() {
	local d="$TMP/backend-nginx"
	mkdir -p "$d/www"
	echo "Outlook Web Access on the back-end: hello from $A_BE" >"$d/www/index.html"
	echo "signed, not sealed: this travels readable inside AH" >"$d/www/ah.txt"
	nginx_conf "$d" "	server { listen $A_BE:80; listen $A_BE_FW:80; listen $A_BE:$AH_PORT;
		root $d/www; }"
	chmod -R a+rX "$d"
	start_nginx "$BE" "$d"
}

# The front-end's reverse proxy: web clients talk to it; it fetches from the back-end.
setup_frontend_web() {
	local d="$TMP/frontend-nginx"
	mkdir -p "$d"
	nginx_conf "$d" "	server { listen $A_FE_WEB:80; listen $A_FE:80;
		location / { proxy_pass http://$A_BE; proxy_set_header Host backend; } }"
	chmod -R a+rX "$d"
	start_nginx "$FE" "$d"
}

# dovecot with POP3 and IMAP, plain login allowed (inside the namespace only), one mailbox
# "demo" holding one message.
setup_backend_mail() {
	local d="$TMP/dovecot" m="$TMP/dovecot/home/demo/Maildir"
	mkdir -p "$d/run" "$d/state" "$m/new" "$m/cur" "$m/tmp"
	cat >"$m/new/1700000000.M1P1.backend" <<'MSG'
From: frontend-admin@example.com
To: demo@example.com
Subject: esprit demo message
Date: Tue, 14 Nov 2023 22:13:20 +0000

This message travelled from the back-end to the front-end inside ESP.
MSG
	echo "demo:{PLAIN}demo-password::::::" >"$d/passwd"
	cat >"$d/dovecot.conf" <<CONF
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
protocols = pop3 imap
listen = $A_BE, $A_BE_FW
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
passdb {
	driver = passwd-file
	args = scheme=PLAIN username_format=%u $d/passwd
}
userdb {
	driver = static
	args = uid=nobody gid=nogroup home=$d/home/%u
}
mail_location = maildir:~/Maildir
CONF
	chmod 755 "$d" "$d/home"
	chown -R nobody:nogroup "$d/home"
	ip netns exec "$BE" dovecot -F -c "$d/dovecot.conf" >"$d/stderr" 2>&1 &
	PIDS+=($!)
}

# A UDP echo service on the back-end (port 7, RFC 862): traffic no rule covers.
setup_backend_echo() {
	ip netns exec "$BE" $PY3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 7))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)' "$A_BE" >"$TMP/echo.log" 2>&1 &
	PIDS+=($!)
}

# udp_echo NS ADDR TEXT: TEXT comes back from ADDR's echo service.
udp_echo() {
	ip netns exec "$1" $PY3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(sys.argv[2].encode(), (sys.argv[1], 7))
sys.exit(s.recv(2048) != sys.argv[2].encode())' "$2" "$3"
}
