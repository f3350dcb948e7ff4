# shellcheck shell=bash
# DHCPv6 additions to scripts/netns.sh for the dhcp6_* tests; source both:
#
#   . "$SRCDIR/scripts/netns.sh"
#   . "$SRCDIR/scripts/netns6.sh"
#   nt6_init "$@"                  # nt_init, peregrine only, IPv6 on the client side
#   nt_topology
#   nt6_conf 'SUBNET6 ENTRIES'     # a dhcp6 block in NT_EXTRA_CONF
#   nt_server_conf; nt_server_check; nt_server_start
#
# The client namespace keeps IPv6 on its veth (link-local, no router
# solicitations); nt6_client_addr gives it a global address too, which
# perfdhcp -6 -A1 relays from (its link-address).  All addresses are in
# 2001:db8::/32.

# nt6_init BUILDDIR [SERVER]: nt_init; skip for Kea (kea-dhcp6 is compared
# in the bench, not here); the v6 lease file is $LEASES6.
nt6_init() {
	nt_init "$@"
	[ "$SERVER" = peregrine ] || nt_skip "peregrine only (kea-dhcp6 is compared in the bench)"
	NT_IPV6=1
	LEASES6="$NT_TMP/dhcp6.leases"
}

# nt6_conf SUBNET6-ENTRIES [MORE]: NT_EXTRA_CONF gets a dhcp6 block with
# long lifetimes, the v6 lease file, MORE (keys of the block) and the given
# subnet6 list entries.
nt6_conf() {
	local db="lease-database = { type = \"memfile\"; name = \"$LEASES6\"; };"
	# a database (NT_LEASE_DB) keeps the v6 leases in the top-level one
	[ -n "${NT_LEASE_DB:-}" ] && db=""
	NT_EXTRA_CONF="$NT_EXTRA_CONF
dhcp6 = {
	preferred-lifetime = 3000; valid-lifetime = 4000;
	$db
	${2:-}
	subnet6 = ( $1 );
};"
}

# nt6_client_addr ADDR/LEN: the client's only global address (any other
# is removed first), without duplicate address detection.
nt6_client_addr() {
	ip -n "$NT_CLI" -6 addr flush dev "$NT_VC" scope global
	ip -n "$NT_CLI" addr add "$1" dev "$NT_VC" nodad || nt_fail "client address $1"
}

# The valid leases of the v6 lease file, "address prefix_len type expire"
# per line (the last record of each address wins, as on load).
leases6() {
	[ -f "$LEASES6" ] || return 0
	awk -F, -v now="$(date +%s)" 'NR > 1 { v[$1] = $3; e[$1] = $4; t[$1] = $7; p[$1] = $9 }
		END { for (a in v) if (v[a] > 0 && e[a] > now) print a, p[a], t[a], e[a] }' "$LEASES6"
}

# nt6_leases_check ARGS...: pgtest.py leases6-check of $LEASES6 (every
# valid lease in its subnet's pools, no address twice, no IA twice); the
# "subnet S na N pd M" lines go to $NT_TMP/leases6.check.
nt6_leases_check() {
	timeout 60 "$NT_PY" "$NT_HELPER" leases6-check "$LEASES6" "$@" >"$NT_TMP/leases6.check" 2>&1 ||
		{ head -20 "$NT_TMP/leases6.check" >&2; nt_fail "v6 lease file check"; }
}

# nt6_count SUBNET na|pd: that line's count from the last nt6_leases_check.
nt6_count() {
	awk -v s="$1" -v k="$2" '$1 == "subnet" && $2 == s { for (i = 3; i < NF; i++) if ($i == k) print $(i + 1) }' \
		"$NT_TMP/leases6.check"
}

# nt6_perfdhcp NAME ARGS...: perfdhcp -6 on the client's veth (ARGS must
# bound it: -r with -n or -p), output in $NT_TMP/NAME.out.  Sets P6_SENT1
# P6_RECV1 P6_NONUNIQ1 (SOLICIT-ADVERTISE) and P6_SENT2 P6_RECV2
# P6_NONUNIQ2 (REQUEST-REPLY).  (-u counts an address seen twice; an
# ADVERTISE holds nothing, so two clients soliciting at once may now and
# then be offered the same one: only REPLYs must be unique.)
nt6_perfdhcp() {
	local name=$1 rc
	shift
	NT_STEP=${NT_STEP:-60} nt_cli /usr/sbin/perfdhcp -6 -l "$NT_VC" "$@" \
		>"$NT_TMP/$name.out" 2>&1
	rc=$?
	grep -v 'Reached max requests limit' "$NT_TMP/$name.out" |
		grep -E '^(\*\*\*Stat|sent packets|received packets|drops:|non unique|Rate:)' >&2
	case $rc in
	0 | 3) ;;   # 3: packets were dropped; the test judges how many
	*) nt_fail "perfdhcp ($name) exit status $rc" ;;
	esac
	read -r P6_SENT1 P6_RECV1 P6_NONUNIQ1 P6_SENT2 P6_RECV2 P6_NONUNIQ2 < <(awk '
		/^\*\*\*Statistics for: SOLICIT/ { x = 1 }
		/^\*\*\*Statistics for: REQUEST/ { x = 2 }
		/^sent packets:/ { s[x] = $3 }
		/^received packets:/ { r[x] = $3 }
		/^non unique addresses:/ { u[x] = $4 }
		END { print s[1] + 0, r[1] + 0, u[1] + 0, s[2] + 0, r[2] + 0, u[2] + 0 }' "$NT_TMP/$name.out")
	nt_log "perfdhcp $name: sent $P6_SENT1 recv $P6_RECV1 (non-unique $P6_NONUNIQ1)," \
		"then sent $P6_SENT2 recv $P6_RECV2 (non-unique $P6_NONUNIQ2)"
}

# nt6_stats: the server's statistics to $NT_TMP/stats.now, the previous
# ones kept in $NT_TMP/stats.prev (for nt6_delta).
nt6_stats() {
	if [ -f "$NT_TMP/stats.now" ]; then mv "$NT_TMP/stats.now" "$NT_TMP/stats.prev"
	else : >"$NT_TMP/stats.prev"; fi
	nt_server_stats
}

# nt6_delta NAME [BASE]: how much statistic NAME grew from BASE (the
# statistics before the last nt6_stats) to $NT_TMP/stats.now.
nt6_delta() {
	echo $(($(nt_stat "$1") - $(nt_stat "$1" "${2:-$NT_TMP/stats.prev}")))
}
