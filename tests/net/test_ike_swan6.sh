#!/usr/bin/env bash
# test_ike_swan.sh over IPv6 (fd00:72::1 <-> fd00:72::2), esprit initiating with the second
# proposal set (strongSwan accepts only X25519, so esprit's first KE, ECP-256, is answered with
# INVALID_KE_PAYLOAD and esprit retries with X25519).
ESPRIT_SWAN_FAMILY=6 ESPRIT_SWAN_SUITE=cbc exec bash "$(dirname "$0")/test_ike_swan.sh"
