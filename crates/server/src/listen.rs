//! Accepting connections with bounds, because `serve` shares its process (and its file
//! descriptors) with the probes: a client that never finishes its headers, a keep-alive that
//! idles forever or a few hundred open sockets must never cost a probe its socket, which would
//! show as a false `connect` alarm. So: a cap on connections (further clients wait in the
//! kernel's backlog, which costs this process nothing), a deadline for every request's headers
//! that also closes idle keep-alive connections, and a stop that waits for requests in flight
//! only for a grace period.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// The bounds `serve` keeps to; [`Limits::default`] is what the command line uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Open connections at once; more wait to be accepted.
    pub max_connections: usize,
    /// Live event streams at once (each holds a connection for as long as the page is open);
    /// one more is refused with 503.
    pub max_event_streams: usize,
    /// Time a client has to send a request's headers, counted from the connection's start or
    /// the end of its previous response: slow-header clients and idle keep-alives are closed.
    pub header_timeout: Duration,
    /// How long a stop waits for requests in flight before it closes their connections.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            // Far below the usual 1024 descriptors, leaving the rest to probes and SQLite.
            max_connections: 256,
            max_event_streams: 64,
            header_timeout: Duration::from_secs(15),
            shutdown_grace: Duration::from_secs(3),
        }
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes; then in-flight
/// requests get `limits.shutdown_grace` to finish before their connections are dropped.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    // HTTP/1.1 only: the page and Prometheus speak it, and it keeps h2 out of the build.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    // Out of descriptors, or a connection reset before it was accepted: wait a
                    // little rather than spin, and go on.
                    tracing::warn!("accepting a connection failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        connections.spawn(async move {
            // Errors here are a client's (a reset, a header timeout): nothing to report.
            let _ = connection.await;
            drop(slot);
        });
        // Finished connections are reaped as we go, so the set stays as big as what is open.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::info!(
            "{} connections still busy after {:?}; closing them",
            connections.len(),
            limits.shutdown_grace
        );
    }
    connections.shutdown().await;
}
