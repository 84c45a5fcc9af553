//! What makes a mail server setting acceptable (SPEC A3): the same rules for the
//! board file and the administrator's SMTP page.

use super::account::is_email;

/// The ways mail may leave the board.
pub const TLS_MODES: &[&str] = &["starttls", "tls", "none"];

/// Why a mail server setting is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SmtpProblem {
    #[error("the server is not a host name or address")]
    BadHost,
    #[error("the port is not a number from 1 to 65535")]
    BadPort,
    #[error("the TLS mode is not starttls, tls or none")]
    BadTls,
    #[error("the sender is not an e-mail address")]
    BadSender,
    #[error("the certificate is not a PEM certificate")]
    BadCertificate,
    #[error("too long")]
    TooLong,
}

/// A host name: RFC 1123 labels.
pub fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A host name or an IP address (`core::net`: the address types alone, no sockets).
pub fn is_host(s: &str) -> bool {
    is_host_name(s) || s.parse::<core::net::IpAddr>().is_ok()
}

/// The longest account name or password kept, and the longest certificate.
pub const MAX_ACCOUNT: usize = 200;
pub const MAX_CA_PEM: usize = 16 * 1024;

pub fn check_smtp(host: &str, port: &str, tls: &str, from: &str) -> Result<u16, SmtpProblem> {
    if !is_host(host) {
        return Err(SmtpProblem::BadHost);
    }
    let port = port.trim().parse::<u16>().ok().filter(|p| *p > 0).ok_or(SmtpProblem::BadPort)?;
    if !TLS_MODES.contains(&tls) {
        return Err(SmtpProblem::BadTls);
    }
    if !is_email(from) {
        return Err(SmtpProblem::BadSender);
    }
    Ok(port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings() {
        let cases = [
            (("mail.example.com", "587", "starttls", "pbx@example.com"), Ok(587)),
            (("10.0.0.25", "25", "none", "pbx@example.com"), Ok(25)),
            (("::1", "465", "tls", "pbx@example.com"), Ok(465)),
            (("mail example", "587", "starttls", "pbx@example.com"), Err(SmtpProblem::BadHost)),
            (("", "587", "starttls", "pbx@example.com"), Err(SmtpProblem::BadHost)),
            (("mail", "0", "starttls", "pbx@example.com"), Err(SmtpProblem::BadPort)),
            (("mail", "70000", "starttls", "pbx@example.com"), Err(SmtpProblem::BadPort)),
            (("mail", "587", "ssl", "pbx@example.com"), Err(SmtpProblem::BadTls)),
            (("mail", "587", "tls", "pbx"), Err(SmtpProblem::BadSender)),
        ];
        for ((host, port, tls, from), expect) in cases {
            assert_eq!(check_smtp(host, port, tls, from), expect, "{host} {port} {tls} {from}");
        }
    }
}
