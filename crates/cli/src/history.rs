//! Reading history: `history`, `status`, `export`.

use crate::check::terminal_width;
use crate::paths::{default_db_path, UsageError};
use crate::render::{clean, outcome_words, table, Style};
use chrono::{DateTime, SecondsFormat, Utc};
use monitor::words::{duration_words, since_words};

/// RFC 3339 in UTC with a `Z`, to the second: what the JSON output says, made readable.
fn utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
use std::path::PathBuf;
use store::{Range, Store};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
}

/// Opens an existing history database; reading never creates one.
async fn open_existing(db: Option<PathBuf>) -> anyhow::Result<Store> {
    let path = db.unwrap_or_else(default_db_path);
    if !path.exists() {
        return Err(UsageError(format!(
            "no history at {} (run `llm-health watch` first, or pass --db)",
            path.display()
        ))
        .into());
    }
    let opened = Store::open(&path).await?;
    if let Some(aside) = &opened.set_aside {
        anyhow::bail!(
            "the history database {} was damaged; it was set aside as {}",
            path.display(),
            aside.display()
        );
    }
    Ok(opened.store)
}

fn parse_range(range: &str) -> anyhow::Result<Range> {
    range
        .parse::<Range>()
        .map_err(|e| UsageError(format!("--range: {e}")).into())
}

pub async fn history(
    db: Option<PathBuf>,
    target: &str,
    range: &str,
    json: bool,
) -> anyhow::Result<u8> {
    let range = parse_range(range)?;
    let store = open_existing(db).await?;
    let known = store.snapshot().await?;
    if !known.iter().any(|s| s.target == target) {
        let ids: Vec<_> = known.iter().map(|s| s.target.as_str()).collect();
        return Err(UsageError(format!(
            "no target {target:?} in this history; known: {}",
            if ids.is_empty() {
                "none".to_string()
            } else {
                ids.join(", ")
            }
        ))
        .into());
    }
    let to = Utc::now();
    let from = to - range.duration();
    let h = store.history(target, from, to).await?;
    if json {
        println!("{}", crate::render::json_pretty(&h)?);
        return Ok(0);
    }
    let style = Style::detect();
    let pct = |v: Option<f64>| v.map(|v| format!("{v:.3} %")).unwrap_or_else(|| "—".into());
    let ms = |v: Option<u64>| v.map(|v| format!("{v} ms")).unwrap_or_else(|| "—".into());
    println!("{target}: {} → {}", utc(h.from), utc(h.to));
    println!("  uptime      {}", pct(h.uptime_pct));
    println!(
        "  checks      {} ({} failed, error rate {})",
        h.checks,
        h.failures,
        h.error_rate
            .map(|r| format!("{:.2} %", r * 100.0))
            .unwrap_or_else(|| "—".into())
    );
    println!(
        "  latency     p50 {}  p90 {}  p99 {}",
        ms(h.p50_ms),
        ms(h.p90_ms),
        ms(h.p99_ms)
    );
    println!("\nIncidents ({}):", h.incidents.len());
    for i in &h.incidents {
        println!(
            "  {}  {:<10} {}  {} — {}",
            utc(i.started_at),
            match i.ended_at {
                Some(_) => duration_words(i.duration_ms(to)),
                None => format!("ongoing {}", duration_words(i.duration_ms(to))),
            },
            style.status(i.worst),
            i.cause.plain_words(),
            clean(&i.message)
        );
    }
    println!("\nSegments ({}):", h.segments.len());
    for s in &h.segments {
        println!(
            "  {} → {}  {:<10} {}",
            utc(s.from),
            utc(s.to),
            duration_words((s.to - s.from).num_milliseconds()),
            style.status(s.status)
        );
    }
    Ok(0)
}

pub async fn status(db: Option<PathBuf>, json: bool) -> anyhow::Result<u8> {
    let store = open_existing(db).await?;
    let snapshot = store.snapshot().await?;
    if json {
        println!("{}", crate::render::json_pretty(&snapshot)?);
    } else {
        let style = Style::detect();
        let now = Utc::now();
        let rows: Vec<Vec<String>> = snapshot
            .iter()
            .map(|s| {
                vec![
                    s.target.clone(),
                    style.status(s.status),
                    since_words(s.since, now),
                    s.last
                        .as_ref()
                        .map(|o| format!("{} ago", duration_words((now - o.at).num_milliseconds())))
                        .unwrap_or_else(|| "—".into()),
                    s.last.as_ref().map(outcome_words).unwrap_or_default(),
                ]
            })
            .collect();
        print!(
            "{}",
            table(
                &["TARGET", "STATUS", "FOR", "CHECKED", "DETAILS"],
                &rows,
                terminal_width()
            )
        );
    }
    let unhealthy = snapshot
        .iter()
        .any(|s| s.status == monitor::Status::Unhealthy);
    Ok(u8::from(unhealthy))
}

pub async fn export(
    db: Option<PathBuf>,
    format: ExportFormat,
    target: Option<&str>,
    range: &str,
) -> anyhow::Result<u8> {
    let range = parse_range(range)?;
    let store = open_existing(db).await?;
    let to = Utc::now();
    let rows = store.checks(target, to - range.duration(), to).await?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    write_export(&mut out, format, &rows)?;
    Ok(0)
}

fn write_export(
    out: &mut impl std::io::Write,
    format: ExportFormat,
    rows: &[store::CheckRow],
) -> anyhow::Result<()> {
    match format {
        ExportFormat::Json => {
            writeln!(out, "{}", crate::render::json_pretty(rows)?)?;
        }
        ExportFormat::Csv => {
            writeln!(out, "target,at,class,status,http_status,latency_ms,ttft_ms,tokens_in,tokens_out,message")?;
            for r in rows {
                let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
                writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{},{}",
                    csv_field(&r.target),
                    r.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    r.class,
                    r.status,
                    r.http_status.map(|s| s.to_string()).unwrap_or_default(),
                    r.latency_ms,
                    opt(r.ttft_ms),
                    opt(r.tokens_in),
                    opt(r.tokens_out),
                    csv_field(&clean(r.message.as_deref().unwrap_or(""))),
                )?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// RFC 4180 quoting, plus a leading quote for cells a spreadsheet would run as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
        assert_eq!(csv_field("plain"), "plain");
    }
}
