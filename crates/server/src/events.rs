//! `GET /api/events`: the live stream (server-sent events). A `state` event with the whole
//! `StateView` on connect and after every configuration change, a `monitor` event per engine
//! event, and a keep-alive comment every 15 s. A listener too slow for the event rate is not
//! dropped: it skips what it missed and gets a fresh `state` instead.

use crate::session::{Live, Session};
use crate::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};

const KEEP_ALIVE: Duration = Duration::from_secs(15);

struct Listener {
    session: Arc<Session>,
    live: broadcast::Receiver<Live>,
    /// `true` once the server is stopping: streams end so the server can.
    stopping: watch::Receiver<bool>,
    first: Option<Event>,
}

fn state_event(json: &str) -> Event {
    Event::default().event("state").data(json)
}

pub async fn events(
    State(app): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Subscribed before the first state is taken, so nothing falls between the two.
    let live = app.session.subscribe();
    let first = state_event(&app.session.state_json());
    let listener = Listener {
        session: app.session.clone(),
        live,
        stopping: app.stopping.clone(),
        first: Some(first),
    };
    let stream = stream::unfold(listener, |mut l| async move {
        if let Some(first) = l.first.take() {
            return Some((Ok(first), l));
        }
        if *l.stopping.borrow() {
            return None;
        }
        let event = tokio::select! {
            // A changed flag or a dropped sender: either way the server is going.
            _ = l.stopping.changed() => return None,
            message = l.live.recv() => match message {
                Ok(Live::Monitor(json)) => Event::default().event("monitor").data(&*json),
                Ok(Live::State(json)) => state_event(&json),
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    state_event(&l.session.state_json())
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            },
        };
        Some((Ok(event), l))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))
}
