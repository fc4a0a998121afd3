#!/usr/bin/env bash
# Mail tier: Frappe Email Accounts against a real mail server (crm_module/tests/mail_check.py).
#
#   bash scripts/mail_tier.sh       # this tier alone, against the bench's crm_module as it is
#                                   # (in a dev bench that is a link to this checkout; it never syncs)
#
# scripts/test.sh sources this file and calls mail_tier after the integration tier has copied the working
# tree into the bench. As root, the tier installs Debian's dovecot-imapd (IMAP) and exim4-daemon-light (SMTP)
# when they are missing, and starts both with configurations of their own, in a temporary folder, on free
# loopback ports (IMAP 10143 and SMTP 10025 when free; never the machine's 25/143 and never its own mail
# service), both with plain-text login for the mailboxes on loopback (no TLS). Exim delivers mail for crm.test and outside.test into maildirs that Dovecot serves over IMAP
# (mailboxes rep@crm.test, other@crm.test, customer@outside.test, stranger@outside.test). The tier then makes
# a site crm-mail-<time>-<pid>.localhost with the app, and `bench execute crm_module.tests.mail_check.run`
# configures Email Accounts (IMAP in, SMTP out, no TLS on loopback) and proves, with mail that really travels:
# a customer's mail (with an attachment) pulled as the scheduler does becomes one Communication and one CRM
# Interaction on the contact who sent it, attachment included; a reply from the desk composer on the contact
# reaches the customer's mailbox over SMTP and IMAP and is one outbound interaction; one message pulled
# through two accounts is one interaction; an unknown sender becomes a lead only with the setting on.
# It stops both servers and deletes their folder and the site whatever happens, and says why it is skipped
# when it cannot run.
#
# Environment (besides test.sh's CRM_BENCH_PATH, CRM_DB_*):
#   CRM_SKIP_MAIL=1         skip this tier
#   CRM_KEEP_SITE=1         keep the site (the servers are stopped all the same)

MAIL_USERS="rep@crm.test other@crm.test customer@outside.test stranger@outside.test"


mail_port() {
	# the wanted port when nothing listens there, else any free loopback port
	python3 - "$1" <<-'PY'
		import socket, sys
		for port in (int(sys.argv[1]), 0):
		    s = socket.socket()
		    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		    try:
		        s.bind(("127.0.0.1", port))
		        print(s.getsockname()[1])
		        break
		    except OSError:
		        continue
		    finally:
		        s.close()
	PY
}

mail_packages() {
	# dovecot (IMAP) and exim (SMTP), installed from the distribution when missing; services never started
	# by the install (a policy-rc.d of ours while apt runs when the machine has none)
	local need=""
	command -v dovecot >/dev/null 2>&1 && [ -e /usr/lib/dovecot/imap ] || need="$need dovecot-imapd"
	if ! command -v exim4 >/dev/null 2>&1; then
		# Debian's MTAs replace one another: never swap out the machine's own (postfix, ...)
		if [ -e /usr/sbin/sendmail ]; then
			MAIL_WHY="no exim4, and installing it would replace this machine's mail server ($(readlink -f /usr/sbin/sendmail))"
			return 1
		fi
		need="$need exim4-daemon-light"
	fi
	[ -z "$need" ] && return 0
	command -v apt-get >/dev/null 2>&1 || { MAIL_WHY="no apt-get to install$need"; return 1; }
	local policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		policy=1
	fi
	echo "installing$need"
	local rc=0
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >/tmp/crm-mail-apt.log 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >/tmp/crm-mail-apt.log 2>&1; } || rc=1
	[ -n "$policy" ] && rm -f /usr/sbin/policy-rc.d
	if [ "$rc" != 0 ]; then
		MAIL_WHY="apt-get install$need failed (see /tmp/crm-mail-apt.log)"
		return 1
	fi
	rm -f /tmp/crm-mail-apt.log
	command -v dovecot >/dev/null 2>&1 && command -v exim4 >/dev/null 2>&1 || { MAIL_WHY="dovecot or exim4 missing after the install"; return 1; }
}

mail_servers_up() {
	# Dovecot on 127.0.0.1:MAIL_IMAP_PORT, Exim on 127.0.0.1:MAIL_SMTP_PORT, mail in MAIL_DIR/mail/DOMAIN/USER
	MAIL_DIR="$(mktemp -d /tmp/crm-mail.XXXXXX)"
	chmod 755 "$MAIL_DIR"
	MAIL_IMAP_PORT="$(mail_port 10143)"
	MAIL_SMTP_PORT="$(mail_port 10025)"
	[ "$MAIL_SMTP_PORT" = "$MAIL_IMAP_PORT" ] && MAIL_SMTP_PORT="$(mail_port 0)"
	MAIL_PASS="$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
	# one owner for every mailbox: the account exim runs as, which dovecot serves the mail as too
	local owner=Debian-exim
	id "$owner" >/dev/null 2>&1 || owner=mail
	local uid gid address
	uid="$(id -u "$owner")"
	gid="$(id -g "$owner")"
	mkdir -p "$MAIL_DIR/mail" "$MAIL_DIR/dovecot" "$MAIL_DIR/exim/spool" "$MAIL_DIR/exim/log"
	: >"$MAIL_DIR/users"
	: >"$MAIL_DIR/mailboxes"
	for address in $MAIL_USERS; do
		local user="${address%@*}" domain="${address#*@}"
		mkdir -p "$MAIL_DIR/mail/$domain/$user"/{cur,new,tmp}
		echo "$address:{PLAIN}$MAIL_PASS:$uid:$gid::$MAIL_DIR/mail/$domain/$user::" >>"$MAIL_DIR/users"
		echo "$address: $domain/$user" >>"$MAIL_DIR/mailboxes"
	done
	chown -R "$owner": "$MAIL_DIR/mail" "$MAIL_DIR/exim"
	chmod 640 "$MAIL_DIR/users"
	chown root:dovecot "$MAIL_DIR/users" 2>/dev/null || true

	cat >"$MAIL_DIR/dovecot.conf" <<-CONF
		# the mail tier's own Dovecot: IMAP on loopback, plain login without TLS, passwd-file users
		base_dir = $MAIL_DIR/dovecot/run
		state_dir = $MAIL_DIR/dovecot/state
		log_path = $MAIL_DIR/dovecot/dovecot.log
		instance_name = crm-mail-tier
		protocols = imap
		listen = 127.0.0.1
		ssl = no
		disable_plaintext_auth = no
		auth_mechanisms = plain login
		first_valid_uid = $uid
		last_valid_uid = $uid
		mail_location = maildir:~
		mail_privileged_group =
		service imap-login {
		  inet_listener imap {
		    address = 127.0.0.1
		    port = $MAIL_IMAP_PORT
		  }
		  inet_listener imaps {
		    port = 0
		  }
		}
		service anvil {
		  chroot =
		}
		passdb {
		  driver = passwd-file
		  args = scheme=PLAIN username_format=%u $MAIL_DIR/users
		}
		userdb {
		  driver = passwd-file
		  args = username_format=%u $MAIL_DIR/users
		}
	CONF

	cat >"$MAIL_DIR/exim.conf" <<-CONF
		# the mail tier's own Exim: SMTP on loopback, local delivery into the maildirs Dovecot serves
		primary_hostname = mail.crm.test
		qualify_domain = crm.test
		domainlist local_domains = crm.test : outside.test
		daemon_smtp_ports = $MAIL_SMTP_PORT
		local_interfaces = 127.0.0.1
		spool_directory = $MAIL_DIR/exim/spool
		log_file_path = $MAIL_DIR/exim/log/%slog
		pid_file_path = $MAIL_DIR/exim/exim.pid
		exim_user = $owner
		exim_group = $owner
		never_users = root
		host_lookup =
		tls_advertise_hosts =
		auth_advertise_hosts = 127.0.0.1
		keep_environment =
		acl_smtp_rcpt = acl_check_rcpt

		begin acl
		acl_check_rcpt:
		  accept domains = +local_domains
		         condition = \${lookup{\$local_part@\$domain}lsearch{$MAIL_DIR/mailboxes}{yes}{no}}
		  deny   message = no such mailbox here

		begin authenticators
		# the mailboxes' own login (Frappe logs in to send whenever its Email Account has a password)
		plain:
		  driver = plaintext
		  public_name = PLAIN
		  server_prompts = :
		  server_condition = \${if and{{eq{\$auth3}{$MAIL_PASS}}{eq{\${lookup{\$auth2}lsearch{$MAIL_DIR/mailboxes}{y}{n}}}{y}}}}
		  server_set_id = \$auth2
		login:
		  driver = plaintext
		  public_name = LOGIN
		  server_prompts = Username:: : Password::
		  server_condition = \${if and{{eq{\$auth2}{$MAIL_PASS}}{eq{\${lookup{\$auth1}lsearch{$MAIL_DIR/mailboxes}{y}{n}}}{y}}}}
		  server_set_id = \$auth1

		begin routers
		mailbox:
		  driver = accept
		  domains = +local_domains
		  address_data = \${lookup{\$local_part@\$domain}lsearch{$MAIL_DIR/mailboxes}{\$value}fail}
		  transport = maildir

		begin transports
		maildir:
		  driver = appendfile
		  directory = $MAIL_DIR/mail/\$address_data
		  maildir_format
		  create_directory
		  user = $owner
		  group = $owner
		  mode = 0600
		  delivery_date_add
		  envelope_to_add
		  return_path_add
	CONF

	dovecot -c "$MAIL_DIR/dovecot.conf" || { MAIL_WHY="dovecot did not start: $(tail -3 "$MAIL_DIR/dovecot/dovecot.log" 2>/dev/null)"; return 1; }
	exim4 -C "$MAIL_DIR/exim.conf" -bd -q1m || { MAIL_WHY="exim did not start: $(tail -3 "$MAIL_DIR/exim/log/paniclog" 2>/dev/null)"; return 1; }
	local _
	for _ in $(seq 1 40); do
		if python3 - "$MAIL_IMAP_PORT" "$MAIL_SMTP_PORT" 2>/dev/null <<-'PY'; then
			import imaplib, smtplib, sys
			imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=3).logout()
			smtplib.SMTP("127.0.0.1", int(sys.argv[2]), timeout=3).quit()
		PY
			return 0
		fi
		sleep 0.25
	done
	MAIL_WHY="the servers did not answer on 127.0.0.1:$MAIL_IMAP_PORT (IMAP) and :$MAIL_SMTP_PORT (SMTP)"
	return 1
}

mail_cleanup() {
	# stop both servers, delete their folder and the site; safe to call twice
	if [ -n "${MAIL_SITE:-}" ] && [ -z "${CRM_KEEP_SITE:-}" ] && [ -d "$BENCH/sites/$MAIL_SITE" ]; then
		as_bench_user "cd '$BENCH' && bench drop-site '$MAIL_SITE' --db-root-username '$DB_USER' --db-root-password '$DB_PASS' --force --no-backup >/dev/null 2>&1; rm -rf 'archived/sites/$MAIL_SITE'"
	fi
	MAIL_SITE=""
	[ -n "${MAIL_DIR:-}" ] || return 0
	stop_pidfile "$MAIL_DIR/exim/exim.pid" 10
	stop_pidfile "$MAIL_DIR/dovecot/run/master.pid" 10
	rm -rf "$MAIL_DIR"
	MAIL_DIR=""
}

mail_fail() {
	summary+=("mail tier: FAILED ($1)")
	failed=$((failed + 1))
	status=1
}

mail_tier() {
	if [ -n "${CRM_SKIP_MAIL:-}" ]; then
		summary+=("mail tier: SKIPPED (CRM_SKIP_MAIL is set)")
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		summary+=("mail tier: SKIPPED (not root: it installs and runs a mail server of its own)")
		return 0
	fi
	if [ ! -x "$BENCH/env/bin/python" ] || [ ! -d "$BENCH/apps/frappe" ]; then
		summary+=("mail tier: SKIPPED (no Frappe bench at $BENCH; set CRM_BENCH_PATH to run it)")
		return 0
	fi
	if [ ! -e "$BENCH/apps/crm_module" ]; then
		summary+=("mail tier: SKIPPED (crm_module is not in the bench at $BENCH)")
		return 0
	fi
	log "Mail tier: Dovecot (IMAP) and Exim (SMTP) of its own on loopback, Frappe Email Accounts on a site"
	local t0=$SECONDS
	MAIL_WHY=""
	if ! mail_packages; then
		summary+=("mail tier: SKIPPED ($MAIL_WHY)")
		return 0
	fi
	if [ -z "${DB_USER:-}" ] && ! db_admin; then
		mail_fail "no database admin account"
		return 1
	fi
	# clean up on exit too, before whatever EXIT trap the caller had (test.sh drops its own sites there)
	local previous_trap=""
	eval "set -- $(trap -p EXIT)"
	[ $# -ge 3 ] && previous_trap="$3"
	trap "mail_cleanup; $previous_trap" EXIT

	local rc=0
	if ! mail_servers_up; then
		mail_fail "$MAIL_WHY"
		rc=1
	else
		echo "IMAP on 127.0.0.1:$MAIL_IMAP_PORT, SMTP on 127.0.0.1:$MAIL_SMTP_PORT (mail in $MAIL_DIR) after $((SECONDS - t0))s"
		MAIL_SITE="crm-mail-$(date +%s)-$$.localhost"
		if ! new_site "$MAIL_SITE"; then
			mail_fail "site creation or install-app failed"
			rc=1
		else
			echo "site $MAIL_SITE ready after $((SECONDS - t0))s"
			run_checks mail "$t0" "" as_bench_user "cd '$BENCH' && timeout 300 bench --site '$MAIL_SITE' execute crm_module.tests.mail_check.run --kwargs \"{'imap_port': $MAIL_IMAP_PORT, 'smtp_port': $MAIL_SMTP_PORT, 'password': '$MAIL_PASS'}\"" || rc=1
		fi
	fi
	mail_cleanup
	if [ -n "$previous_trap" ]; then trap -- "$previous_trap" EXIT; else trap - EXIT; fi
	return "$rc"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	# standalone: this tier only
	# shellcheck source=scripts/bench_lib.sh
	source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh" && run_tier_alone mail_tier
fi
