//! The accept loop and the per-request pipeline: record, pick the fault,
//! then answer (or not) in the flavor's words.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, Request};
use axum::response::Response;
use axum::Router;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tower_service::Service;

use crate::body;
use crate::provider::{ApiError, Ctx, Headroom};
use crate::state::{AppState, InFlight};
use crate::{Fault, RecordedRequest};

/// Request bodies beyond this are refused by closing the connection.
const MAX_REQUEST_BODY: usize = 32 * 1024 * 1024;

/// Returned to hyper to make it close the connection without answering.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault")]
pub(crate) struct Dropped;

pub(crate) async fn run(listener: TcpListener, app: Arc<AppState>) {
    let router = app.flavor.provider().routes().with_state(Arc::clone(&app));
    serve_connections(listener, move |stream| {
        app.connected();
        let app = Arc::clone(&app);
        let router = router.clone();
        let svc = service_fn(move |req| handle(Arc::clone(&app), router.clone(), req));
        async move {
            // Broken connections are the point of several faults.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        }
    })
    .await
}

/// Accepts connections forever, each served by what `connection` returns. Owning the
/// connections here means aborting this task ends them all, including ones parked in
/// `Fault::Hang`. Shared by the fake servers and the notice receivers.
pub(crate) async fn serve_connections<F, Fut>(listener: TcpListener, connection: F)
where
    F: Fn(TcpStream) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    conns.spawn(connection(stream));
                }
                // Typically out of file descriptors under a benchmark: wait
                // for some to close instead of giving up the listener.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

async fn handle(
    app: Arc<AppState>,
    router: Router,
    req: Request<Incoming>,
) -> Result<Response<GuardedBody>, Dropped> {
    let guard = app.enter();
    let (parts, incoming) = req.into_parts();
    let bytes = axum::body::to_bytes(Body::new(incoming), MAX_REQUEST_BODY)
        .await
        .map_err(|_| Dropped)?;
    let ctx = Ctx::new(&parts, app.next_seq());
    app.record(RecordedRequest::from_parts(&parts, &bytes));
    let fault = app.next_fault();

    let provider = app.flavor.provider();
    let presented = provider.presented_key(&parts);
    let fail = |err: ApiError, headroom: Headroom| {
        let mut resp = provider.error(&ctx, &err);
        provider.decorate(&ctx, resp.headers_mut(), headroom);
        resp
    };
    // Built now, run only by the arms that answer normally.
    let normal = answer(Arc::clone(&app), router, ctx.clone(), parts, bytes.clone());

    let resp = match fault {
        Fault::None => normal.await,
        Fault::Latency(delay) => {
            tokio::time::sleep(delay).await;
            normal.await
        }
        Fault::Status(code) => {
            let headroom = Headroom {
                exhausted: code == 429,
                reset_secs: 1,
            };
            fail(ApiError::Status(code), headroom)
        }
        Fault::RateLimited { retry_after_secs } => {
            let headroom = Headroom {
                exhausted: true,
                reset_secs: retry_after_secs,
            };
            let mut resp = fail(ApiError::RateLimited { retry_after_secs }, headroom);
            resp.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            resp
        }
        Fault::InsufficientQuota => fail(ApiError::Quota, Headroom::default()),
        Fault::BadKeyEcho => fail(
            ApiError::BadKey {
                presented: presented.unwrap_or_default(),
                echo: true,
            },
            Headroom::default(),
        ),
        Fault::Hang => std::future::pending().await,
        Fault::SlowBody { every } => body::trickle(normal.await, every).await,
        Fault::Garbage => body::garbage(),
        Fault::HugeBody(n) => body::huge(n),
        Fault::Drop => return Err(Dropped),
        Fault::Redirect(location) => body::redirect(&location),
        Fault::Reply { status, body } => body::reply(status, body),
        Fault::StreamError => match provider.stream_error(&ctx, &bytes) {
            Some(mut resp) => {
                provider.decorate(&ctx, resp.headers_mut(), Headroom::default());
                resp
            }
            None => body::cut(normal.await).await,
        },
    };
    Ok(resp.map(|inner| GuardedBody {
        inner,
        _guard: guard,
    }))
}

/// The answer without faults: the flavor's own checks, then its routes.
async fn answer(
    app: Arc<AppState>,
    mut router: Router,
    ctx: Ctx,
    parts: axum::http::request::Parts,
    bytes: Bytes,
) -> Response {
    let provider = app.flavor.provider();
    let refused = provider
        .check(&parts, app.api_key().as_deref())
        .err()
        .or_else(|| provider.gate(&app));
    let mut resp = match refused {
        Some(err) => provider.error(&ctx, &err),
        None => {
            let mut req = Request::from_parts(parts, Body::from(bytes));
            req.extensions_mut().insert(ctx.clone());
            match router.call(req).await {
                Ok(resp) => resp,
                Err(never) => match never {},
            }
        }
    };
    provider.decorate(&ctx, resp.headers_mut(), Headroom::default());
    resp
}

/// A response body that keeps its request counted as in flight until the
/// last byte is sent (or the client goes away), so streams count fully.
pub(crate) struct GuardedBody {
    inner: Body,
    _guard: InFlight,
}

impl http_body::Body for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
