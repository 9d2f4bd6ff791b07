//! Webhooks, one attempt (I/O): the event's JSON POSTed to the receiver with its kind, its
//! id as the idempotency key and the HMAC signature; any 2xx answer delivers it. The answer
//! comes from outside: its body is read and dropped up to 64 KiB, never kept; a receiver that
//! does not answer within the timeout fails the attempt.

use std::io::Read;
use std::time::Duration;

/// What the answer's body may be, at most, before the connection is dropped.
const MAX_ANSWER: u64 = 64 * 1024;

/// Sends one request; the seam the tests and other transports plug into.
pub trait Sender: Send + Sync {
    /// POSTs `body` to `url` with `headers` within `timeout`; `Ok(())` on a 2xx answer, else
    /// what went wrong.
    fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
        timeout: Duration,
    ) -> Result<(), String>;
}

/// Plain HTTP (`ureq`), the timeout on the whole exchange, no redirects followed.
#[derive(Clone, Copy, Debug, Default)]
pub struct HttpSender;

impl Sender for HttpSender {
    fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
        timeout: Duration,
    ) -> Result<(), String> {
        let agent = ureq::AgentBuilder::new()
            .timeout(timeout)
            .redirects(0)
            .build();
        let mut req = agent.post(url);
        for (name, value) in headers {
            req = req.set(name, value);
        }
        match req.send_bytes(body) {
            Ok(resp) => {
                let status = resp.status();
                let _ = std::io::copy(
                    &mut resp.into_reader().take(MAX_ANSWER),
                    &mut std::io::sink(),
                );
                if (200..300).contains(&status) {
                    Ok(())
                } else {
                    Err(format!("answered {status}"))
                }
            }
            Err(ureq::Error::Status(code, _)) => Err(format!("answered {code}")),
            Err(ureq::Error::Transport(t)) => Err(format!("no answer: {t}")),
        }
    }
}
