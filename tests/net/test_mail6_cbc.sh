#!/usr/bin/env bash
# test_mail.sh over IPv6 with AES-CBC-128 + HMAC-SHA2-256-128, raw ESP (protocol 50).
ESPRIT_NET_FAMILY=6 ESPRIT_NET_ALG=cbc exec bash "$(dirname "$0")/test_mail.sh"
