use std::time::Duration;

/// What the fake does to a request instead of (or on top of) answering it
/// normally. A fault acts after the request is recorded, on every path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Fault {
    #[default]
    None,
    /// Answer normally after a delay.
    Latency(Duration),
    /// The flavor's real error body and headers for that status.
    Status(u16),
    /// 429 with the flavor's rate-limit body, `Retry-After` and, where the
    /// provider has them, rate-limit headers showing nothing remaining.
    RateLimited { retry_after_secs: u64 },
    /// Out of credit or quota: OpenAI/Azure 429 `insufficient_quota`, Gemini 429
    /// per-day `RESOURCE_EXHAUSTED`, Anthropic 400 "credit balance is too low".
    InsufficientQuota,
    /// The flavor's auth error with the presented key echoed verbatim, to check
    /// that a monitor redacts what servers send back.
    BadKeyEcho,
    /// Accept the request and never answer.
    Hang,
    /// 200 and headers at once, then the body one byte per `every`, never ending.
    SlowBody { every: Duration },
    /// 200, `Content-Type: application/json`, a body that is not JSON.
    Garbage,
    /// 200 with a valid start of JSON padded to this many bytes.
    HugeBody(usize),
    /// Close the connection without any response.
    Drop,
    /// 302 to the given URL.
    Redirect(String),
    /// Anthropic `/v1/messages`: a 200 SSE stream that sends `message_start` and
    /// then an `overloaded_error` event. Anywhere else: the normal body cut off
    /// half way, then the connection breaks.
    StreamError,
    /// This status and body, as JSON, on every path: a scripted server that says whatever
    /// a test needs (a key echoed into model ids, escape sequences in an error, a huge list).
    /// `Bytes`, so that serving a 15 MiB body to many requests does not copy it each time.
    Reply { status: u16, body: bytes::Bytes },
}

/// A fault named on a command line or a control line, e.g. `status 500`, `latency 800`,
/// `rate-limited 30`, `hang`, `none`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault {0:?}: say none, latency MS, status CODE, rate-limited SECS, quota, bad-key-echo, hang, slow-body MS, garbage, huge-body BYTES, drop, redirect URL, stream-error or reply CODE BODY")]
pub struct UnknownFault(pub String);

impl std::str::FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(line: &str) -> Result<Fault, UnknownFault> {
        let unknown = || UnknownFault(line.to_string());
        // The body may hold spaces: everything after the status is the body.
        if let Some(rest) = line.trim_start().strip_prefix("reply ") {
            let (code, body) = rest.trim_start().split_once(' ').ok_or_else(unknown)?;
            let status = code.parse().map_err(|_| unknown())?;
            return Ok(Fault::Reply {
                status,
                body: bytes::Bytes::copy_from_slice(body.as_bytes()),
            });
        }
        let mut words = line.split_whitespace();
        let name = words.next().ok_or_else(unknown)?;
        let arg = words.next();
        if words.next().is_some() {
            return Err(unknown());
        }
        let number = || -> Result<u64, UnknownFault> {
            arg.and_then(|a| a.parse().ok()).ok_or_else(unknown)
        };
        let fault = match name {
            "none" | "ok" => Fault::None,
            "latency" => Fault::Latency(Duration::from_millis(number()?)),
            "status" => Fault::Status(u16::try_from(number()?).map_err(|_| unknown())?),
            "rate-limited" => Fault::RateLimited {
                retry_after_secs: number()?,
            },
            "quota" => Fault::InsufficientQuota,
            "bad-key-echo" => Fault::BadKeyEcho,
            "hang" => Fault::Hang,
            "slow-body" => Fault::SlowBody {
                every: Duration::from_millis(number()?),
            },
            "garbage" => Fault::Garbage,
            "huge-body" => Fault::HugeBody(usize::try_from(number()?).map_err(|_| unknown())?),
            "drop" => Fault::Drop,
            "redirect" => Fault::Redirect(arg.ok_or_else(unknown)?.to_string()),
            "stream-error" => Fault::StreamError,
            _ => return Err(unknown()),
        };
        let takes_arg = matches!(
            fault,
            Fault::Latency(_)
                | Fault::Status(_)
                | Fault::RateLimited { .. }
                | Fault::SlowBody { .. }
                | Fault::HugeBody(_)
                | Fault::Redirect(_)
        );
        if arg.is_some() != takes_arg {
            return Err(unknown());
        }
        Ok(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_lines_name_faults() {
        assert_eq!("status 500".parse(), Ok(Fault::Status(500)));
        assert_eq!(
            "latency 800".parse(),
            Ok(Fault::Latency(Duration::from_millis(800)))
        );
        assert_eq!(
            " rate-limited 30 ".parse(),
            Ok(Fault::RateLimited {
                retry_after_secs: 30
            })
        );
        assert_eq!("none".parse(), Ok(Fault::None));
        assert_eq!("hang".parse(), Ok(Fault::Hang));
        assert_eq!(
            "reply 500 {\"error\": \"a b\"}".parse(),
            Ok(Fault::Reply {
                status: 500,
                body: bytes::Bytes::from_static(b"{\"error\": \"a b\"}")
            })
        );
        for bad in [
            "",
            "status",
            "status x",
            "status 70000",
            "explode",
            "hang now",
            "reply 500",
            "reply x {}",
        ] {
            assert!(bad.parse::<Fault>().is_err(), "{bad:?}");
        }
    }
}
