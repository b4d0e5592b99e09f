//! `server.body_timeout` (SPEC §5): a request body must arrive within this time of the request's
//! start, or the request is answered `408` and its connection closed. Without it, a client that
//! declares a body and never sends it holds a connection (and a worker's slot) for as long as it
//! likes: actix-web's own `client_request_timeout` covers only the head.
//!
//! [`arm`] wraps the payload of every request that declares a body in [`Deadline`], a stream that
//! ends in an error once the time is up (it holds a timer, so a stalled read wakes when the time
//! runs out). A handler reading the body sees `PayloadError::Io(TimedOut)` (the intake maps it to
//! its own 408 page); whatever a handler or extractor answers after that, [`settle`] makes it a
//! 408. Both run in the one middleware of `routes::headers`.

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::EitherBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpMessage};
use futures_util::Stream;

/// What `actix_web::dev::Payload` boxes (`actix_http::BoxedPayloadStream`).
type BoxedPayloadStream = Pin<Box<dyn Stream<Item = Result<web::Bytes, PayloadError>>>>;
use tokio::time::Sleep;

use crate::error::{ApiError, Lang};
use crate::state::AppState;

/// How long a timed-out request's unread payload is kept after the deadline (see
/// [`Deadline::poll_next`]).
const HOLD_UNREAD: Duration = Duration::from_secs(5);

/// A payload that fails with `io::ErrorKind::TimedOut` once its deadline passes.
struct Deadline {
    inner: Payload,
    timer: Pin<Box<Sleep>>,
    fired: Rc<Cell<bool>>,
    finished: bool,
}

impl Stream for Deadline {
    type Item = Result<web::Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.finished {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(None) => {
                self.finished = true;
                Poll::Ready(None)
            }
            Poll::Ready(Some(item)) => Poll::Ready(Some(item)),
            Poll::Pending => match self.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    self.finished = true;
                    self.fired.set(true);
                    // actix-web drains the rest of a chunked body whose reader is gone, for as
                    // long as the client sends it, to keep the connection: the slow client would
                    // keep it. Held a little longer than the 408 takes to go out, the unread
                    // payload makes actix-web close the connection after the answer instead.
                    hold(std::mem::replace(&mut self.inner, Payload::None));
                    Poll::Ready(Some(Err(timed_out())))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl Drop for Deadline {
    /// A body the handler never read to its end (it answered 401, 413 or 429 first) is held
    /// too, for the same reason as a timed-out one.
    fn drop(&mut self) {
        if !self.finished {
            hold(std::mem::replace(&mut self.inner, Payload::None));
        }
    }
}

/// Keeps an unread payload for [`HOLD_UNREAD`]: while it is held, actix-web closes the
/// connection after the answer rather than drain a chunked body for as long as a client sends
/// it.
fn hold(unread: Payload) {
    if matches!(unread, Payload::None) {
        return;
    }
    actix_web::rt::spawn(async move {
        tokio::time::sleep(HOLD_UNREAD).await;
        drop(unread);
    });
}

fn timed_out() -> PayloadError {
    PayloadError::Io(io::Error::new(
        io::ErrorKind::TimedOut,
        "request body not received within server.body_timeout",
    ))
}

/// Whether a payload error is [`Deadline`]'s.
pub fn is_timeout(error: &PayloadError) -> bool {
    matches!(error, PayloadError::Io(e) if e.kind() == io::ErrorKind::TimedOut)
}

/// Whether a request says a body follows (a `Content-Length` above 0, or chunked encoding).
fn declares_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0")
}

/// Puts the body of a request that declares one under `server.body_timeout`, counted from now
/// (the head has been read); returns the flag that says whether the time ran out, for
/// [`settle`]. Called by the one middleware of `routes::headers`.
pub fn arm(req: &mut ServiceRequest) -> Option<Rc<Cell<bool>>> {
    if !declares_body(req) {
        return None;
    }
    let timeout = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.settings.server.body_timeout)
        .unwrap_or(Duration::from_secs(10));
    let fired = Rc::new(Cell::new(false));
    let payload = Deadline {
        inner: req.take_payload(),
        timer: Box::pin(tokio::time::sleep(timeout)),
        fired: fired.clone(),
        finished: false,
    };
    req.set_payload(Payload::from(Box::pin(payload) as BoxedPayloadStream));
    Some(fired)
}

/// The answer once the handler is done: when the body's time ran out, a 408 (the handler's
/// own, or ours in its place) with `Connection: close` — the rest of the body may still be on
/// its way, so the connection cannot be reused.
pub fn settle<B>(
    mut res: ServiceResponse<B>,
    fired: Option<&Rc<Cell<bool>>>,
) -> ServiceResponse<EitherBody<B>> {
    if !fired.is_some_and(|f| f.get()) {
        return res.map_into_left_body();
    }
    if res.status() == StatusCode::REQUEST_TIMEOUT {
        res.response_mut()
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
        return res.map_into_left_body();
    }
    let lang = Lang::from_request(res.request());
    let (req, _) = res.into_parts();
    let mut response = ApiError::RequestTimeout.to_response(lang);
    response
        .head_mut()
        .set_connection_type(actix_web::http::ConnectionType::Close);
    ServiceResponse::new(req, response).map_into_right_body()
}
