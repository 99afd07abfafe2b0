# An SMTP sink for the end-to-end tests that check mail: aiosmtpd with
# STARTTLS on the stack's server certificate, keeping every message in a
# Maildir. Sourced after stack_test.sh; call after `stack_pki "$tmp/pki"`.
# usage: smtp_sink_start   -> $smtp_port, $smtp_pid; mail lands in $tmp/mail/box/new
smtp_sink_start() {
  smtp_port=$(stack_free_port)
  mkdir -p "$tmp/mail"
  /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$tmp/mail/box" \
    --tlscert "$tmp/pki/server.crt" --tlskey "$tmp/pki/server.key" >"$tmp/mail/log" 2>&1 &
  smtp_pid=$!
}
