# The compact request codes and tokens end to end, checked by a second
# implementation of the contract (tests/unit/paseto_check.py: PASETO v4
# verification with PyNaCl, its own CBOR reader): a clerk's request is an
# "idgreq2." code, its token a v4.public token with CBOR claims and no
# footer, and both are what docs/tokens.md says; the token is redeemed and
# its grant made. The JSON forms still work: an old "idgreq1." code is
# approved, a token with JSON claims (as a stock PASETO library mints it)
# redeemed. Half-copied codes and tokens are refused with a sentence.
# shellcheck shell=bash

PASETO_CHECK=$HERE/../unit/paseto_check.py

# check_with_python ARGS...: the second implementation.
check_with_python() {
	/usr/bin/python3 "$PASETO_CHECK" "$@"
}

# approve_code CODE APPROVER: the token on stdout, what was signed on stderr.
approve_code() {
	"$IDGUARDCTL" token approve "$1" --key "$T/keys/$2.k4.secret" --policy-dir "$T/policy" \
		--approvers-dir "$T/approvers" --yes
}

t_token_formats_v2_request_approve_redeem_checked_by_python() {
	local out code req token claims jti host
	setup_tokens
	start_daemon
	# What the clerk is shown: the code to send is one idgreq2. word.
	out=$(clerk_ctl idgt-alice token request --purpose account-opening --ref CASE-2026-0042 --class scanner \
		--minutes 10 --policy-dir "$T/policy")
	code=$(grep '^idgreq' <<<"$out") || fail "no request code in: $out"
	assert_match "$code" '^idgreq2\.[A-Za-z0-9_-]+$' "the printed request code"
	# 114 characters for the docs' example (alice on ws-017); here the
	# clerk's name is longer, and the host name is this machine's.
	host=$(hostname)
	note "request code: ${#code} characters (host name $host)"
	assert_le "${#code}" $((130 + 2 * ${#host})) "length of the request code"
	# Read by the other implementation: the fields are where the contract puts them.
	req=$(check_with_python request "$code") || fail "python cannot read the request code: $code"
	assert_eq "$(jq -r '[.form, .v, .sub, .host, .pur, .ref, .cls, .min] | @tsv' <<<"$req")" \
		"$(printf 'cbor\t2\tidgt-alice\t%s\taccount-opening\tCASE-2026-0042\t2\t10' "$(cat /etc/machine-id)")" \
		"the request's fields"
	assert_match "$(jq -r .rid <<<"$req")" '^[0-9a-f]{16}$' "the request id"
	assert_le "$(( $(date +%s) - $(jq -r .iat <<<"$req") ))" 60 "the request's age"

	token=$(approve_code "$code" wang 2>/dev/null) || fail "approving the idgreq2 code"
	assert_match "$token" '^v4\.public\.[A-Za-z0-9_-]+$' "a token without a footer"
	note "token: ${#token} characters"
	assert_le "${#token}" 300 "length of the token"
	# Verified as PASETO v4.public by PyNaCl, the key id inside the payload.
	claims=$(check_with_python verify --public-key "$T/keys/wang.k4.public" "$token") ||
		fail "python does not verify the token"
	assert_eq "$(jq -r '[.form, .kind, .kid_matches] | @tsv' <<<"$claims")" "$(printf 'cbor\ttoken\ttrue')" "form"
	assert_eq "$(jq -r '.claims | [.sub, .host, .pur, .ref, .rid, (.classes | join(","))] | @tsv' <<<"$claims")" \
		"$(printf 'idgt-alice\t%s\taccount-opening\tCASE-2026-0042\t%s\tscanner' "$(cat /etc/machine-id)" \
			"$(jq -r .rid <<<"$req")")" "the token's claims"
	assert_eq "$(jq '.claims.exp - .claims.nbf' <<<"$claims")" 600 "ten minutes"
	# Another key does not verify it, nor does the decline's assertion.
	check_with_python verify --public-key "$T/keys/li.k4.public" "$token" 2>"$T/err" &&
		fail "li's key verified wang's token"
	assert_eq "$(cat "$T/err")" "paseto_check.py: refused: signature does not verify" "li's key"
	check_with_python verify --public-key "$T/keys/wang.k4.public" --implicit idguard-decline "$token" 2>/dev/null &&
		fail "the token verified as a decline"

	# Redeemed: the grant is made, for the token python read.
	jti=$(jq -r .claims.jti <<<"$claims")
	out=$(clerk_ctl idgt-alice token redeem "$token")
	assert_match "$out" "^Granted: idgt-alice may use scanner on this workstation until " "redeem output"
	assert_match "$out" "approved by wang; grant [0-9]+, token $jti\.$" "redeem output names the token"
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/scan")" "ENXIO 1" "alice scans with her token"
	assert_eq "$(ctl token list --json | jq -r '.grants[0] | [.user, .token_id, .purpose] | @tsv')" \
		"$(printf 'idgt-alice\t%s\taccount-opening' "$jti")" "the grant"
	wait_until 10 sh -c "journalctl --no-pager -o json --directory='$JOURNAL_DIR' MESSAGE_ID=$MSG_TOKEN_REDEEMED _PID=$DPID | grep -q ." ||
		fail "no token-redeemed record"
	assert_eq "$(journal MESSAGE_ID=$MSG_TOKEN_REDEEMED _PID="$DPID" |
		jq -r '[.IDGUARD_TOKEN_ID, .IDGUARD_REQUEST_ID, .IDGUARD_APPROVER] | @tsv')" \
		"$(printf '%s\t%s\twang' "$jti" "$(jq -r .rid <<<"$req")")" "the redeemed record"
}

t_token_formats_old_idgreq1_code_is_still_approved() {
	local code old token out
	setup_tokens
	start_daemon
	code=$(clerk_ctl idgt-bob token request --purpose account-opening --ref CASE-77 --class scanner --minutes 5 \
		--policy-dir "$T/policy" --json | jq -r .request)
	# The same request as a code sent by chat before the update.
	old=$(check_with_python request-v1 "$code")
	assert_match "$old" '^idgreq1\.' "the old form"
	assert_eq "$(check_with_python request "$old" | jq -c 'del(.form, .v)')" \
		"$(check_with_python request "$code" | jq -c 'del(.form, .v)')" "the same request"
	token=$(approve_code "$old" wang 2>"$T/approve.err") || fail "approving the idgreq1 code: $(cat "$T/approve.err")"
	assert_match "$(cat "$T/approve.err")" "Approved request [0-9A-F]{4}-[0-9A-F]{4} as wang; signed:" "approved"
	# Its token is written in the new form all the same, and redeemed.
	assert_eq "$(check_with_python verify --public-key "$T/keys/wang.k4.public" "$token" | jq -r .form)" cbor "form"
	out=$(clerk_ctl idgt-bob token redeem "$token")
	assert_match "$out" "^Granted: idgt-bob may use scanner on this workstation until " "redeem output"
	assert_eq "$(as_clerk idgt-bob "$TRY_OPEN" "$T/scan")" "ENXIO 1" "bob scans with his token"
}

t_token_formats_json_claims_token_is_still_redeemed() {
	local token out
	setup_tokens
	start_daemon
	# Minted as a stock PASETO library would: JSON claims, kid footer.
	token=$("$BUILD/helpers/mint_token" --key "$T/keys/li.k4.secret" --sub idgt-alice --pur account-opening \
		--cls scanner)
	assert_match "$token" '^v4\.public\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' "a token with a footer"
	assert_eq "$(check_with_python verify --public-key "$T/keys/li.k4.public" "$token" |
		jq -r '[.form, .kid_matches, (.claims.cls | join(","))] | @tsv')" "$(printf 'json\ttrue\tscanner')" \
		"python reads the JSON form"
	out=$(clerk_ctl idgt-alice token redeem "$token")
	assert_match "$out" "^Granted: idgt-alice may use scanner on this workstation until " "redeem output"
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/scan")" "ENXIO 1" "alice scans"
}

t_token_formats_half_copied_code_and_token_are_refused() {
	local code token out status
	setup_tokens
	start_daemon
	code=$(clerk_ctl idgt-alice token request --purpose account-opening --ref CASE-2026-0042 --class scanner \
		--minutes 10 --policy-dir "$T/policy" --json | jq -r .request)
	# Half of the code: what is missing is said.
	out=$(approve_code "${code:0:60}" wang 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "approving half a code"
	assert_match "$out" "^idguardctl token approve: the request code is damaged: it is cut short in item [0-9]+ \([a-z]+\) of 10; copy it again$" \
		"the refusal"
	# A code of the new form with a byte changed in its array's head.
	out=$(approve_code "idgreq2.iw${code:10}" wang 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "approving a damaged code"
	assert_eq "$out" "idguardctl token approve: the request code is damaged: it is an array of 11 items, not 10; copy it again" \
		"the refusal"

	token=$(approve_code "$code" wang 2>/dev/null)
	# Cut at a whole number of base64url quartets (198 = 10 + 4 * 47), so
	# that what is left decodes: the payload is then cut short.
	out=$(clerk_ctl idgt-alice token redeem "${token:0:198}" 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "redeeming half a token"
	assert_match "$out" "this is not a valid purpose token \(its payload is damaged: it is cut short in item [0-9]+ \([a-z]+\) of 12\); copy it again" \
		"the refusal"
	wait_until 5 sh -c "journalctl --no-pager -o json --directory='$JOURNAL_DIR' MESSAGE_ID=$MSG_TOKEN_REJECTED _PID=$DPID IDGUARD_REJECT_REASON=malformed | grep -q ." ||
		fail "no token-rejected record with reason malformed"
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/scan")" "EPERM 1" "nothing was granted"
	# The whole token still works: a refused one is not used up.
	clerk_ctl idgt-alice token redeem "$token" >/dev/null
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/scan")" "ENXIO 1" "the whole token"
}
