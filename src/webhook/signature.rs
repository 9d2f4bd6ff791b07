//! Webhooks, the signature header (pure): `X-Sohoa-Signature: t=<unix seconds>,v1=<hex>`,
//! HMAC-SHA256 (RFC 2104, FIPS 180-4) keyed with the receiver's secret over
//! `"<t>.<body>"` — the time is signed so a captured request cannot be replayed later, and the
//! receiver compares in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header's value for `body` sent at `t`.
pub fn header(secret: &[u8], t: u64, body: &[u8]) -> String {
    format!(
        "t={t},v1={}",
        hex::encode(keyed(secret, t, body).finalize().into_bytes())
    )
}

/// The MAC over `"<t>.<body>"` keyed with `secret` (HMAC takes a key of any length).
fn keyed(secret: &[u8], t: u64, body: &[u8]) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// What a receiver does: whether `header` signs `body` with `secret` (constant time), and
/// its time.
pub fn check(secret: &[u8], header: &str, body: &[u8]) -> Option<u64> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = x.parse::<u64>().ok(),
            Some(("v1", x)) => v1 = hex::decode(x).ok(),
            _ => {}
        }
    }
    let (t, v1) = (t?, v1?);
    keyed(secret, t, body).verify_slice(&v1).ok().map(|_| t)
}
