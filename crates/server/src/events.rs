//! `GET /api/events`: the live stream (server-sent events). A `state` event with the whole
//! `StateView` on connect and after every configuration change, a `monitor` event per engine
//! event, and a keep-alive comment every 15 s. A listener too slow for the event rate is not
//! dropped: it skips what it missed and gets a fresh `state` instead.

use crate::error::ServerError;
use crate::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use controller::command::NoArgs;
use controller::{Command, Update as Live};
use futures_util::stream::{self, Stream, StreamExt};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};

const KEEP_ALIVE: Duration = Duration::from_secs(15);

fn state_event(json: &str) -> Event {
    Event::default().event("state").data(json)
}

pub async fn events(
    State(app): State<AppState>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ServerError> {
    // Each stream holds its connection open for as long as the page is: bounded, so streams
    // alone can never take the connections (and descriptors) everything else needs.
    let permit = app
        .streams
        .clone()
        .try_acquire_owned()
        .map_err(|_| ServerError::TooManyStreams(app.limits.max_event_streams))?;
    // Subscribed before the first state is taken, so nothing falls between the two.
    let live = app.core.subscribe();
    let core = app.core.clone();
    let stream = live_stream(live, app.stopping.clone(), move || {
        let core = core.clone();
        async move {
            let state = core.run(Command::GetState(NoArgs {})).await;
            Arc::<str>::from(
                state.unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string()),
            )
        }
    });
    // The permit goes back when the stream is dropped: the page left or the server stops.
    let stream = stream.map(move |event| {
        let _held = &permit;
        event
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive")))
}

struct Listener<F> {
    live: broadcast::Receiver<Live>,
    /// `true` once the server is stopping: streams end so the server can.
    stopping: watch::Receiver<bool>,
    /// A whole `StateView`, now.
    state: F,
    started: bool,
}

/// A state first, then what `live` brings, until the server stops.
fn live_stream<F, S>(
    live: broadcast::Receiver<Live>,
    stopping: watch::Receiver<bool>,
    state: F,
) -> impl Stream<Item = Result<Event, Infallible>>
where
    F: Fn() -> S + Send + 'static,
    S: std::future::Future<Output = Arc<str>> + Send,
{
    let listener = Listener {
        live,
        stopping,
        state,
        started: false,
    };
    stream::unfold(listener, |mut l| async move {
        if !l.started {
            l.started = true;
            let first = state_event(&(l.state)().await);
            return Some((Ok(first), l));
        }
        if *l.stopping.borrow() {
            return None;
        }
        let event = tokio::select! {
            // A changed flag or a dropped sender: either way the server is going.
            _ = l.stopping.changed() => return None,
            message = l.live.recv() => match message {
                Ok(Live::Monitor(event)) => Event::default().event("monitor").data(&*event.json()),
                Ok(Live::State(json)) => state_event(&json),
                Err(broadcast::error::RecvError::Lagged(_)) => state_event(&(l.state)().await),
                Err(broadcast::error::RecvError::Closed) => return None,
            },
        };
        Some((Ok(event), l))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use controller::LiveEvent;
    use futures_util::StreamExt;

    /// What the page receives, as text.
    async fn text(e: Option<Result<Event, Infallible>>) -> String {
        use axum::response::IntoResponse;
        let body = Sse::new(stream::iter([e.expect("an event")]))
            .into_response()
            .into_body();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_lagging_listener_gets_a_fresh_state_and_goes_on() {
        let (tx, rx) = broadcast::channel(2);
        let (stop, stopping) = watch::channel(false);
        let mut s = Box::pin(live_stream(rx, stopping, || async {
            Arc::from("{\"whole\":1}")
        }));
        assert_eq!(
            text(s.next().await).await,
            "event: state\ndata: {\"whole\":1}\n\n"
        );
        let slept = |i: i64| {
            let at = chrono::DateTime::from_timestamp(i, 0).unwrap();
            monitor::Event::Slept { from: at, to: at }
        };
        let data = |i: i64| serde_json::to_string(&slept(i)).unwrap();
        for i in 0..5 {
            tx.send(Live::Monitor(Arc::new(LiveEvent::new(slept(i)))))
                .unwrap();
        }
        // Three were lost: a whole state instead, then the two still queued.
        assert_eq!(
            text(s.next().await).await,
            "event: state\ndata: {\"whole\":1}\n\n"
        );
        assert_eq!(
            text(s.next().await).await,
            format!("event: monitor\ndata: {}\n\n", data(3))
        );
        assert_eq!(
            text(s.next().await).await,
            format!("event: monitor\ndata: {}\n\n", data(4))
        );
        tx.send(Live::State(Arc::from("{}"))).unwrap();
        assert_eq!(text(s.next().await).await, "event: state\ndata: {}\n\n");
        stop.send(true).unwrap();
        assert!(
            s.next().await.is_none(),
            "the stream ends when the server stops"
        );
    }
}
