# Article 8: no card data in any record, reply or output, whatever form the
# ID number is written in and whoever put it there.
# shellcheck shell=bash

ID18=11010519491231002X             # GB 11643's worked example
ID18_GROUPED="110105 19491231 002X"
ID18_FULL_WIDTH="１１０１０５１９４９１２３１００２Ｘ"
ID15=430102500101001                # first generation: 1950-01-01

# No trace of any of the forms in text ($1): the parts a reader would know.
assert_no_card_data() {
	local text=$1 what=$2 part
	for part in 19491231 "1949 1231" "１９４９１２３１" 500101001; do
		case $text in
		*"$part"*) fail "$what holds card data ($part): $text" ;;
		esac
	done
}

# A clerk's program opened on /cases/<ID number>.pdf: the record names the
# program and its command line, withheld, and no OBJECT_PID for journald
# to copy the command line from.
t_article8_a_command_line_with_id_numbers_is_withheld() {
	local dir=$T/cases/$ID18_GROUPED/$ID18_FULL_WIDTH rec
	start_daemon
	mkdir -p "$dir"
	chmod -R a+rx "$T/cases"
	ln -s "$T/cam" "$dir/$ID15.pdf"
	# The shell opens the camera itself and stays, as a viewer would.
	as_user $NOBODY sh -c 'true 2>/dev/null <"$1"; sleep 3' sh "$dir/$ID15.pdf" &
	local viewer=$!
	wait_records 1 $MSG_DENIED
	wait "$viewer" || true
	rec=$(journal MESSAGE_ID=$MSG_DENIED IDGUARD_CGROUP_ID="$(cgroup_id)" | tail -n 1)
	assert_no_card_data "$rec" "the access record"
	assert_eq "$(jq -r '.OBJECT_PID // "none"' <<<"$rec")" none "OBJECT_PID"
	assert_eq "$(jq -r '.OBJECT_CMDLINE // "none"' <<<"$rec")" none "OBJECT_CMDLINE"
	assert_eq "$(jq -r .IDGUARD_CMDLINE <<<"$rec")" \
		"sh -c true 2>/dev/null <\"\$1\"; sleep 3 sh $T/cases/[withheld]/[withheld]/[withheld].pdf" "IDGUARD_CMDLINE"
	assert_eq "$(jq -r .IDGUARD_EXE <<<"$rec")" "$(readlink -f "$(command -v sh)")" "IDGUARD_EXE"
	assert_eq "$(jq -r .IDGUARD_WITHHELD <<<"$rec")" IDGUARD_CMDLINE "IDGUARD_WITHHELD"
	assert_no_card_data "$(journalctl --no-pager --directory="$JOURNAL_DIR" _PID="$DPID" -o export | tr -d '\000')" "the journal"
}

# A token whose id has the shape of an ID number is accepted (its id is the
# approver's business), but the id is withheld from every record and reply.
t_article8_a_token_id_shaped_like_an_id_number_is_withheld() {
	local token out
	setup_tokens
	start_daemon
	token=$("$MINT" --key "$T/keys/wang.k4.secret" --sub idgt-alice --pur account-opening --cls scanner --jti "$ID18")
	out=$(clerk_ctl idgt-alice token redeem "$token" --json) || fail "redeem: $out"
	assert_no_card_data "$out" "the redeem reply"
	out=$(clerk_ctl idgt-alice token list --json)
	assert_eq "$(jq -r '.grants[0].token_id' <<<"$out")" "[withheld]" "token id in the list"
	wait_until 10 sh -c "journalctl --directory='$JOURNAL_DIR' MESSAGE_ID=$MSG_TOKEN_REDEEMED _PID=$DPID -q | grep -q ." ||
		fail "no token-redeemed record"
	out=$(journal MESSAGE_ID=$MSG_TOKEN_REDEEMED _PID="$DPID")
	assert_eq "$(jq -r .IDGUARD_TOKEN_ID <<<"$out")" "[withheld]" "IDGUARD_TOKEN_ID"
	assert_no_card_data "$(journalctl --no-pager --directory="$JOURNAL_DIR" _PID="$DPID" -o export | tr -d '\000')" "the journal"
}

# What idguardctl prints (errors quoting what it was given) and what the
# daemon answers pass the same withholding.
t_article8_outputs_and_replies_withhold_id_numbers() {
	local out status
	start_daemon
	out=$(ctl --socket "$T/$ID18/sock" status 2>&1) && status=0 || status=$?
	assert_eq "$status" 3 "status on a missing socket"
	assert_match "$out" "\[withheld\]" "the socket path in the error"
	assert_no_card_data "$out" "idguardctl's error"
	out=$(as_user $NOBODY "$IDGUARDCTL" --socket "$SOCK" token revoke "$ID18_GROUPED" 2>&1) || true
	assert_match "$out" "has id \[withheld\]" "the id echoed in the reply"
	assert_no_card_data "$out" "the daemon's reply"
	out=$(printf '{"command":"%s"}\n' "$ID15" | "$BUILD/helpers/sockcat" "$SOCK")
	assert_match "$out" "unknown command '\[withheld\]'" "an unknown command echoed"
	assert_no_card_data "$out" "the daemon's reply to garbage"
}
