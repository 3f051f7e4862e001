//! AWS binary event-stream framing (`application/vnd.amazon.eventstream`).
//!
//! Frames are encoded with `aws-smithy-eventstream`, which computes both CRCs, so
//! the SDK clients decode them exactly as they decode the real services' streams.

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue as HttpHeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use futures::Stream;
use serde::Serialize;

/// The content type of an event-stream response body.
pub const CONTENT_TYPE: &str = "application/vnd.amazon.eventstream";

fn frame(kind: &str, type_header: &str, type_value: &str, payload: Vec<u8>) -> Bytes {
    let message = Message::new(payload)
        .add_header(Header::new(":message-type", HeaderValue::String(kind.to_owned().into())))
        .add_header(Header::new(
            type_header.to_owned(),
            HeaderValue::String(type_value.to_owned().into()),
        ))
        .add_header(Header::new(":content-type", HeaderValue::String("application/json".into())));
    let mut out = Vec::with_capacity(message.payload().len() + 96);
    if let Err(err) = write_message_to(&message, &mut out) {
        // Only headers over 32 KiB or payloads over 16 MiB fail to encode; ours are
        // neither, but say so rather than send a corrupt frame.
        tracing::error!(%err, event = type_value, "event-stream frame could not be encoded");
        return Bytes::new();
    }
    Bytes::from(out)
}

fn to_json<T: Serialize + ?Sized>(payload: &T) -> Vec<u8> {
    serde_json::to_vec(payload).unwrap_or_else(|_| b"{}".to_vec())
}

/// An `event` frame: `event_type` is the stream union's member name (`result`, `chunk`, `messageStart`).
pub fn event_frame<T: Serialize + ?Sized>(event_type: &str, payload: &T) -> Bytes {
    frame("event", ":event-type", event_type, to_json(payload))
}

/// An `exception` frame: `exception_type` is the member name in lowerCamel (`validationException`).
pub fn exception_frame<T: Serialize + ?Sized>(exception_type: &str, payload: &T) -> Bytes {
    frame("exception", ":exception-type", exception_type, to_json(payload))
}

/// A 200 response whose body is the given frames, sent as they are produced.
pub fn stream_response<S>(frames: S, extra_headers: &[(&'static str, String)]) -> Response
where
    S: Stream<Item = Bytes> + Send + 'static,
{
    use futures::StreamExt;
    let body = Body::from_stream(frames.map(Ok::<Bytes, std::convert::Infallible>));
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HttpHeaderValue::from_static(CONTENT_TYPE));
    for (name, value) in extra_headers {
        if let Ok(value) = HttpHeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_frame() {
        // The 40-byte reference frame from the wire notes: one header and `{}`.
        let message = Message::new(&b"{}"[..])
            .add_header(Header::new(":message-type", HeaderValue::String("event".into())));
        let mut out = Vec::new();
        write_message_to(&message, &mut out).unwrap();
        assert_eq!(
            hex::encode(&out),
            "000000280000001660470efd0d3a6d6573736167652d747970650700056576656e747b7db7184afc"
        );
    }

    #[test]
    fn event_frames_round_trip() {
        let bytes = event_frame("result", &serde_json::json!({"isError": false}));
        let message = aws_smithy_eventstream::frame::read_message_from(bytes).unwrap();
        let names: Vec<_> =
            message.headers().iter().map(|h| h.name().as_str().to_owned()).collect();
        assert_eq!(names, [":message-type", ":event-type", ":content-type"]);
        assert_eq!(&message.payload()[..], br#"{"isError":false}"#);
    }
}
