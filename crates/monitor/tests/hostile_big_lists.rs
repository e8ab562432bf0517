//! A 15 MiB model list must not be multiplied: the outcome (and every event, SSE message and
//! stored `last_outcome` made of it) carries a bounded summary, and 16 such probes in flight
//! hold little more than their bodies. Peak memory is measured with a counting allocator in
//! this binary, which has this one test so nothing else allocates meanwhile.

mod common;

use common::{prober, target};
use fake_llm::{FakeServer, Fault, Flavor};
use monitor::{Check, Event, Outcome, Status, MODELS_KEPT};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const MIB: usize = 1024 * 1024;
const WANTED: &str = "the-one-we-watch";

/// An OpenAI-shaped list of about `bytes`, every entry padded with fields a monitor ignores,
/// with the configured model last.
fn big_list(bytes: usize) -> (bytes::Bytes, usize) {
    let mut body = String::with_capacity(bytes + 1024);
    body.push_str(r#"{"object":"list","data":["#);
    let pad = "x".repeat(200);
    let mut n = 0;
    while body.len() < bytes {
        body.push_str(&format!(
            r#"{{"id":"org-{n}/model-{n:07}","object":"model","created":1700000000,"owned_by":"someone","description":"{pad}","permission":[{{"allow_sampling":true}}]}},"#
        ));
        n += 1;
    }
    body.push_str(&format!(r#"{{"id":"{WANTED}"}}]}}"#));
    (body.into(), n + 1)
}

fn event_size(outcome: &Outcome) -> usize {
    let event = Event::Checked(Check {
        target: "t".into(),
        outcome: outcome.clone(),
        status: Status::Healthy,
        score: 1.0,
        consecutive_failures: 0,
    });
    serde_json::to_string(&event)
        .map(|s| s.len())
        .unwrap_or(usize::MAX)
}

#[tokio::test]
async fn a_15_mib_model_list_becomes_a_small_outcome_even_16_at_once() {
    let (body, listed) = big_list(15 * MIB);
    let fake = FakeServer::start(Flavor::Openai).await.expect("fake");
    fake.set_recording(false);
    fake.set_fault(Fault::Reply {
        status: 200,
        body: body.clone(),
    });
    let prober = prober();
    let t = target(
        "openai",
        &fake.base_url(),
        &format!("api_key_env = \"K\"\nmodel = \"{WANTED}\"\ntimeout = \"120s\"\nslow_ms = 120000"),
    );

    // One probe first (warms the client), then 16 in flight together, measured.
    let first = prober.probe(&t).await;
    assert_eq!(first.class, monitor::Class::Ok, "{}", first.message);
    let baseline = LIVE.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);
    let outcomes = futures_util::future::join_all((0..16).map(|_| prober.probe(&t))).await;
    let peak = PEAK.load(Ordering::Relaxed) - baseline;
    let retained = LIVE.load(Ordering::Relaxed).saturating_sub(baseline);

    for o in outcomes.iter().chain([&first]) {
        assert_eq!(o.class, monitor::Class::Ok, "{}", o.message);
        let d = &o.details;
        assert_eq!(d.models.len(), MODELS_KEPT);
        assert_eq!(d.models_total, Some(listed as u64));
        assert_eq!(d.model_count(), listed as u64);
        assert!(
            d.models.iter().any(|m| m == WANTED),
            "the watched model is kept"
        );
        let size = event_size(o);
        assert!(size < 8 * 1024, "an event of {size} bytes");
    }
    let per_probe = peak / 16;
    println!(
        "body {} MiB, {listed} models: 16 probes in flight peaked at {:.1} MiB above baseline \
         ({:.1} MiB per probe, {:.2}x the body); {} KiB still live after them (idle connections and their buffers included); \
         an event is {} bytes",
        body.len() / MIB,
        peak as f64 / MIB as f64,
        per_probe as f64 / MIB as f64,
        per_probe as f64 / body.len() as f64,
        retained / 1024,
        event_size(&first),
    );
    // Each probe holds its body while reading it (a growing buffer may briefly hold two
    // copies); a parse into `serde_json::Value` added several times the body on top.
    assert!(
        per_probe < 3 * body.len(),
        "{per_probe} bytes per probe for a {} byte body",
        body.len()
    );
}
