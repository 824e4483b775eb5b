//! A WebSocket echo server on tungstenite, the standard sync WebSocket crate: every
//! upgrade, on any path, is answered `101`, and each text or binary message is sent back
//! unchanged. On SIGTERM each open connection gets a close frame (`1001 going away`) before
//! the server's grace period ends; any other request gets `426 Upgrade Required`.
//!
//! `cargo run --example websocket`, then e.g. `websocat ws://localhost:9000/chat`.

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use fc_runtime::{Context, Handler, HandlerError, Request, Response, Upgraded};
use tungstenite::handshake::derive_accept_key;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::frame::CloseFrame;
use tungstenite::protocol::Role;
use tungstenite::{Error, Message, WebSocket};

struct Echo;

impl Handler for Echo {
    fn invoke(&self, event: Vec<u8>, _: &Context) -> Result<Vec<u8>, HandlerError> {
        Ok(event)
    }

    fn http(&self, req: Request<'_>, _: &Context) -> Result<Response, HandlerError> {
        let websocket = req
            .headers
            .get("upgrade")
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
        let Some(key) = req.headers.get("sec-websocket-key").filter(|_| websocket) else {
            return Ok(Response::new(426)
                .with_header("Upgrade", "websocket")
                .with_body("this endpoint speaks WebSocket only\n"));
        };
        let accept = derive_accept_key(key.as_bytes());
        Ok(Response::upgrade(echo)
            .with_header("Upgrade", "websocket")
            .with_header("Sec-WebSocket-Accept", accept))
    }
}

/// Echoes until the client closes, or says goodbye when the server stops.
fn echo(conn: Upgraded) {
    let stop = conn.stop_signal();
    // Reads wake up to look at the stop signal.
    let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
    let mut ws = WebSocket::from_raw_socket(conn, Role::Server, None);
    while !stop.is_set() {
        match ws.read() {
            Ok(msg @ (Message::Text(_) | Message::Binary(_))) => {
                if ws.send(msg).is_err() {
                    return;
                }
            }
            // Pings are answered by tungstenite; a close is answered and ends the next read.
            Ok(_) => {}
            Err(Error::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return,
        }
    }
    let _ = ws.close(Some(CloseFrame {
        code: CloseCode::Away,
        reason: "server stopping".into(),
    }));
    // Wait (briefly) for the client's close reply, as the closing handshake asks.
    let end = Instant::now() + Duration::from_secs(2);
    while Instant::now() < end {
        match ws.read() {
            Err(Error::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

fn main() {
    fc_runtime::run(Echo)
}
