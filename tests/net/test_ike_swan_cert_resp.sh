#!/usr/bin/env bash
# test_ike_swan.sh with certificates and strongSwan initiating (its default send_cert = ifasked:
# it sends its certificate only because esprit's IKE_SA_INIT response carries a CERTREQ).
ESPRIT_SWAN_AUTH=cert ESPRIT_SWAN_INIT=swan exec bash "$(dirname "$0")/test_ike_swan.sh"
