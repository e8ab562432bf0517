//! What is left on the account, where the provider says it for an ordinary key: OpenRouter's
//! `GET /api/v1/key` and DeepSeek's `GET /user/balance` (zero tokens). Read at most every
//! [`CREDITS_MAX_AGE`] per target, after a probe that succeeded: the answer is context, so a
//! failed read leaves the probe's class alone. Below the target's `min_credits` the target is
//! degraded (`credits_low`); an exhausted account is `quota`.

use super::classify::Failure;
use super::{lock, Ctx, Success};
use crate::config::Preset;
use crate::domain::{Class, Credits};
use serde_json::Value;
use std::time::Duration;

/// How often an account's credits are read at most.
pub const CREDITS_MAX_AGE: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy)]
enum Source {
    OpenrouterKey,
    DeepseekBalance,
}

impl Source {
    fn of(ctx: &Ctx<'_>) -> Option<Source> {
        match ctx.target.preset {
            Some(Preset::Openrouter) => Some(Source::OpenrouterKey),
            Some(Preset::Deepseek) => Some(Source::DeepseekBalance),
            _ => None,
        }
    }
}

/// The account as read: its credits, and whether it can serve no more requests.
#[derive(Debug, Clone)]
struct Account {
    credits: Credits,
    exhausted: bool,
}

/// `success` with the account's credits, degraded below `min_credits`; `quota` when exhausted.
pub(crate) async fn read(ctx: &Ctx<'_>, mut success: Success) -> Result<Success, Failure> {
    let Some(source) = Source::of(ctx) else {
        return Ok(success);
    };
    let cached = lock(&ctx.kept.credits)
        .as_ref()
        .filter(|(at, _, _)| at.elapsed() < CREDITS_MAX_AGE)
        .map(|(_, credits, exhausted)| Account {
            credits: credits.clone(),
            exhausted: *exhausted,
        });
    let account = match cached {
        Some(account) => account,
        None => match fetch(ctx, source).await {
            Ok(account) => {
                *lock(&ctx.kept.credits) = Some((
                    tokio::time::Instant::now(),
                    account.credits.clone(),
                    account.exhausted,
                ));
                account
            }
            // A negative balance: OpenRouter answers its key endpoint with 402.
            Err(failure) if failure.class == Class::Quota => return Err(failure),
            Err(failure) => {
                tracing::debug!(target = %ctx.target.id, class = %failure.class, "credits not read");
                return Ok(success);
            }
        },
    };
    let left = account.credits.remaining_words();
    if account.exhausted {
        return Err(Failure::new(
            Class::Quota,
            match left {
                Some(left) => format!("account exhausted: {left} left"),
                None => "account exhausted: the provider says it can serve no requests".into(),
            },
        ));
    }
    if let (Some(min), Some(remaining)) = (ctx.target.min_credits, account.credits.remaining) {
        if remaining < min {
            let left = left.unwrap_or_else(|| format!("{remaining:.2}"));
            success.degraded = Some((Class::CreditsLow, format!("credits low: {left} left")));
        }
    }
    success.details.credits = Some(account.credits);
    Ok(success)
}

async fn fetch(ctx: &Ctx<'_>, source: Source) -> Result<Account, Failure> {
    let request = match source {
        // Beside the API: `https://openrouter.ai/api/v1` + `key`.
        Source::OpenrouterKey => ctx.get("key"),
        // At the server's root, whether `base_url` ends in `/v1` or not.
        Source::DeepseekBalance => ctx.get_from_root("user/balance"),
    };
    let reply = ctx.http.send_ok(ctx.kind(), request).await?;
    let json: Value = reply.json()?;
    let parsed = match source {
        Source::OpenrouterKey => openrouter(&json),
        Source::DeepseekBalance => deepseek(&json),
    };
    parsed.ok_or_else(|| Failure {
        http_status: Some(reply.status),
        ..Failure::bad_response("the account's credits are not in the expected shape")
    })
}

/// `{"data":{"limit":10.0|null,"limit_remaining":2.1|null,"usage":7.9,…}}`; a null limit is no
/// limit, so nothing is "left" to run out of.
fn openrouter(json: &Value) -> Option<Account> {
    let data = json.get("data")?.as_object()?;
    let number = |key: &str| {
        data.get(key)
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite())
    };
    let limit = number("limit");
    let remaining = limit.and(number("limit_remaining"));
    Some(Account {
        exhausted: remaining.is_some_and(|r| r <= 0.0),
        credits: Credits {
            remaining,
            limit,
            usage: number("usage"),
            unit: "USD".into(),
        },
    })
}

/// `{"is_available":true,"balance_infos":[{"currency":"USD","total_balance":"110.00",…}]}`,
/// amounts as strings. The USD balance when there is one, else the first.
fn deepseek(json: &Value) -> Option<Account> {
    let available = json.get("is_available")?.as_bool()?;
    let balances = json.get("balance_infos")?.as_array()?;
    fn currency(b: &Value) -> &str {
        b.get("currency").and_then(Value::as_str).unwrap_or("")
    }
    let chosen = balances
        .iter()
        .find(|b| currency(b).eq_ignore_ascii_case("USD"))
        .or_else(|| balances.first());
    let amount = |b: &Value| {
        match b.get("total_balance")? {
            Value::String(s) => s.trim().parse::<f64>().ok(),
            v => v.as_f64(),
        }
        .filter(|v| v.is_finite())
    };
    Some(Account {
        exhausted: !available,
        credits: Credits {
            remaining: chosen.and_then(amount),
            limit: None,
            usage: None,
            unit: chosen
                .map(|b| currency(b).to_string())
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "USD".into()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn openrouter_key_reads_limit_and_remaining() {
        let a = openrouter(&json!({"data": {"limit": 10.0, "limit_remaining": 2.1, "usage": 7.9}}))
            .unwrap();
        assert_eq!(a.credits.remaining, Some(2.1));
        assert_eq!(a.credits.limit, Some(10.0));
        assert!(!a.exhausted);
        let unlimited =
            openrouter(&json!({"data": {"limit": null, "limit_remaining": null, "usage": 3}}))
                .unwrap();
        assert_eq!(unlimited.credits.remaining, None);
        assert!(!unlimited.exhausted);
        let spent =
            openrouter(&json!({"data": {"limit": 5, "limit_remaining": 0, "usage": 5}})).unwrap();
        assert!(spent.exhausted);
        assert!(openrouter(&json!({"error": "x"})).is_none());
    }

    #[test]
    fn deepseek_balance_prefers_usd_and_reads_strings() {
        let a = deepseek(&json!({"is_available": true, "balance_infos": [
            {"currency": "CNY", "total_balance": "110.00"},
            {"currency": "USD", "total_balance": "2.10"}]}))
        .unwrap();
        assert_eq!(a.credits.remaining, Some(2.1));
        assert_eq!(a.credits.unit, "USD");
        let cny = deepseek(&json!({"is_available": false, "balance_infos": [
            {"currency": "CNY", "total_balance": "0.00"}]}))
        .unwrap();
        assert!(cny.exhausted);
        assert_eq!(cny.credits.unit, "CNY");
        assert_eq!(cny.credits.remaining_words().as_deref(), Some("0.00 CNY"));
        assert!(deepseek(&json!({"balance_infos": []})).is_none());
    }
}
