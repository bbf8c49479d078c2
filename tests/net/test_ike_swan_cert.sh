#!/usr/bin/env bash
# test_ike_swan.sh with certificates (a CA made with openssl; esprit ECDSA P-256 with its
# subject DN as ID, strongSwan Ed25519 with its address as ID), esprit initiating.
ESPRIT_SWAN_AUTH=cert ESPRIT_SWAN_KEYS=ed25519 exec bash "$(dirname "$0")/test_ike_swan.sh"
