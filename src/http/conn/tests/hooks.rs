//! What the connection loop tells its server through `Hooks`: phases, draining, and the
//! body budget it charges.

use super::*;
use std::time::Duration;

/// Records phases and can stop the loop at the second idle.
struct Recorder(Vec<Phase>, bool);

impl Hooks for Recorder {
    fn phase(&mut self, p: Phase) -> bool {
        self.0.push(p);
        !(self.1 && p == Phase::Idle && self.0.len() > 1)
    }
    fn draining(&self) -> bool {
        self.1
    }
}

#[test]
fn phases_and_draining() {
    let wire = format!("GET / HTTP/1.1\r\n{H}\r\nGET / HTTP/1.1\r\n{H}\r\n");
    // Whole head in one read: Idle -> Active, no Head phase.
    let mut src = ConnReader::new(wire.as_bytes(), 4096);
    let mut hooks = Recorder(vec![], false);
    let mut out = Vec::new();
    serve(&mut src, &mut out, &limits(), &mut echo, &mut hooks);
    assert_eq!(
        hooks.0,
        [
            Phase::Idle,
            Phase::Active,
            Phase::Idle,
            Phase::Active,
            Phase::Idle
        ]
    );
    // Head split: Idle -> Head -> Active.
    let mut src = ConnReader::new(
        Split {
            data: wire.as_bytes(),
            pos: 0,
            cuts: vec![5],
        },
        4096,
    );
    let mut hooks = Recorder(vec![], false);
    serve(&mut src, &mut Vec::new(), &limits(), &mut echo, &mut hooks);
    assert_eq!(&hooks.0[..3], [Phase::Idle, Phase::Head, Phase::Active]);
    // Draining: first answer says close, loop stops.
    let mut src = ConnReader::new(wire.as_bytes(), 4096);
    let mut hooks = Recorder(vec![], true);
    let mut out = Vec::new();
    serve(&mut src, &mut out, &limits(), &mut echo, &mut hooks);
    let s = String::from_utf8_lossy(&out);
    assert_eq!(s.matches("HTTP/1.1 200").count(), 1);
    assert!(s.contains("Connection: close"));
}

/// Hooks that charge bodies to a budget.
struct Budgeted<'a>(&'a BodyBudget);

impl Hooks for Budgeted<'_> {
    fn phase(&mut self, _: Phase) -> bool {
        true
    }
    fn draining(&self) -> bool {
        false
    }
    fn budget(&self) -> Option<&BodyBudget> {
        Some(self.0)
    }
}

#[test]
fn body_budget_table() {
    // (budget, bytes held by others, request, status line expected first, handler ran)
    let chunked = format!(
        "POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n"
    );
    let length = format!("POST / HTTP/1.1\r\n{H}Content-Length: 8\r\n\r\nabcdefgh");
    let cases = [
        (8, 0, &length, "HTTP/1.1 200 ", true),
        (8, 1, &length, "HTTP/1.1 503 ", false),
        (8, 0, &chunked, "HTTP/1.1 200 ", true),
        // the second chunk does not fit: the answer is the 503, whatever the handler said
        (8, 4, &chunked, "HTTP/1.1 503 ", true),
        (
            100,
            0,
            &format!("GET / HTTP/1.1\r\n{H}\r\n"),
            "HTTP/1.1 200 ",
            true,
        ),
    ];
    for (total, held, wire, status, ran) in cases {
        let budget = BodyBudget::new(total, Duration::ZERO);
        assert!(budget.reserve(held));
        let limits = limits();
        let mut src = ConnReader::new(wire.as_bytes(), limits.max_head);
        let mut out = Vec::new();
        let mut called = false;
        let mut svc = |req: Request<'_>| {
            called = true;
            echo(req)
        };
        serve(
            &mut src,
            &mut out,
            &limits,
            &mut svc,
            &mut Budgeted(&budget),
        );
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with(status), "{wire:?}: {text}");
        assert_eq!(called, ran, "{wire:?}");
        if status.contains("503") {
            assert!(text.contains("Retry-After: 1\r\n"), "{text}");
        }
        // everything reserved for the exchange came back
        assert_eq!(budget.used(), held, "{wire:?}");
    }
}

/// Parks whenever asked, counting the questions.
struct Parker(usize);

impl Hooks for Parker {
    fn phase(&mut self, _: Phase) -> bool {
        true
    }
    fn draining(&self) -> bool {
        false
    }
    fn park(&mut self) -> bool {
        self.0 += 1;
        true
    }
}

#[test]
fn parks_only_after_an_answer_with_nothing_buffered() {
    let one = format!("GET / HTTP/1.1\r\n{H}\r\n");
    // (wire, split at, answers before parking, park questions, how it ends)
    let table: &[(String, Vec<usize>, usize, usize, CloseReason)] = &[
        // A new connection reads first; after its answer it parks.
        (one.clone(), vec![], 1, 1, CloseReason::Parked),
        // Pipelined: the second request is already buffered, so no park between them.
        (one.repeat(2), vec![], 2, 1, CloseReason::Parked),
        // The second request arrives in a later read: the loop parks after the first.
        (one.repeat(2), vec![one.len()], 1, 1, CloseReason::Parked),
        // Nothing at all: the peer closed, never asked.
        (String::new(), vec![], 0, 0, CloseReason::PeerClosed),
    ];
    for (wire, cuts, answers, asked, why) in table {
        let mut src = ConnReader::new(
            Split {
                data: wire.as_bytes(),
                pos: 0,
                cuts: cuts.clone(),
            },
            4096,
        );
        let mut hooks = Parker(0);
        let mut out = Vec::new();
        let end = serve(&mut src, &mut out, &limits(), &mut echo, &mut hooks);
        let s = String::from_utf8_lossy(&out);
        assert_eq!(
            (s.matches("HTTP/1.1 200").count(), hooks.0, end),
            (*answers, *asked, *why),
            "{wire:?} cut at {cuts:?}"
        );
        assert!(!s.contains("close"), "a parked connection stays open: {s}");
        assert_eq!(
            end.end(),
            if *why == CloseReason::Parked {
                End::Park
            } else {
                End::Done
            }
        );
    }
}
