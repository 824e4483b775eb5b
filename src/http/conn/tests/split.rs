//! The same bytes split at any point into reads give the same replies and ending.

use super::*;

#[test]
fn same_bytes_split_anywhere_give_same_replies() {
    let wire = format!(
        "POST /a HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n\
         GET /b?q HTTP/1.1\r\n{H}\r\nPOST /c HTTP/1.1\r\n{H}Content-Length: 2\r\n\r\nxy"
    );
    let wire = wire.as_bytes();
    let (whole, end) = run_split(wire, vec![], echo);
    assert_eq!(whole.matches("HTTP/1.1 200").count(), 3);
    for cut in 1..wire.len() {
        assert_eq!(
            run_split(wire, vec![cut], echo),
            (whole.clone(), end),
            "cut at {cut}"
        );
    }
    let every_byte: Vec<usize> = (1..wire.len()).collect();
    assert_eq!(run_split(wire, every_byte, echo), (whole, end));
}

#[test]
fn refusals_do_not_depend_on_the_split() {
    // Found by fuzzing (fuzz/fuzz_targets/conn.rs): the status of a refused head used to
    // depend on how much of its request line had arrived.
    let a = "a".repeat(300);
    for wire in [
        format!("GET /{a}\0 HTTP/1.1\r\n{H}\r\n"),
        format!("GET / H\0\0 {a} HTTP/1.1\r\n{H}\r\n"),
        format!("GET /{a} HTTP/3.0\r\n{H}\r\n"),
        format!("GET / HTTP/1.1\r\n{H}\r\nGET /{a}\x01 HTTP/1.1\r\n"),
    ] {
        let wire = wire.as_bytes();
        let whole = run_split(wire, vec![], echo);
        for cut in 1..wire.len() {
            assert_eq!(run_split(wire, vec![cut], echo), whole, "cut at {cut}");
        }
    }
}

#[test]
fn a_head_limit_under_the_read_buffer_is_judged_on_the_limit_only() {
    // Found by fuzzing: with max_head under the 4 KiB minimum read buffer, an error past the
    // limit gave 400 when everything arrived at once, and 431 when split.
    let limits = Limits {
        max_head: 2048,
        ..Limits::default()
    };
    let v = "v".repeat(1020);
    let wire = format!("GET / HTTP/1.1\r\n{H}A: {v}\r\nB: {v}\r\nBad Header: x\r\n\r\n");
    let run = |cuts: Vec<usize>| {
        let split = Split {
            data: wire.as_bytes(),
            pos: 0,
            cuts,
        };
        let mut src = ConnReader::new(split, limits.max_head);
        let mut out = Vec::new();
        serve(&mut src, &mut out, &limits, &mut echo, &mut NoHooks);
        String::from_utf8_lossy(&out)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(run(vec![]), "HTTP/1.1 431 Request Header Fields Too Large");
    for cut in (100..wire.len()).step_by(97) {
        assert_eq!(run(vec![cut]), run(vec![]), "cut at {cut}");
    }
}
