//! The chunked decoder, fed arbitrary bytes in arbitrary pieces, against the whole-buffer
//! reference decoder: same bytes out, same error class, and never a byte consumed past the
//! framed end (what follows stays readable for the next request).
#![no_main]

use std::io::Read;

use fc_runtime::fuzzing::{BodyReader, BodyState, ConnReader, Framing};
use fuzz_oracle::{chunked_ref, cuts_from, ChunkedRef, Split};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // [limit hi, limit lo, read size, n cuts, cuts..., body...]
    if data.len() < 4 {
        return;
    }
    let limit = u64::from(u16::from_be_bytes([data[0], data[1]]));
    let read_size = usize::from(data[2].max(1));
    let ncuts = usize::from(data[3] % 16).min(data.len() - 4);
    let (cut_bytes, body) = data[4..].split_at(ncuts);
    let cuts = cuts_from(cut_bytes, body.len());

    let mut src = ConnReader::new(Split::new(body, cuts), 32 * 1024);
    let mut st = BodyState::new(Framing::Chunked, limit, false, Default::default());
    let mut got = Vec::new();
    let result = {
        let mut r = BodyReader::new(&mut src, &mut st, None);
        let mut buf = vec![0u8; read_size];
        loop {
            match r.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    assert!(n <= read_size);
                    got.extend_from_slice(&buf[..n]);
                }
                Err(e) => break Err(e),
            }
        }
    };
    assert!(got.len() as u64 <= limit, "decoded past the limit");
    match (chunked_ref(body, limit), result) {
        (ChunkedRef::Done(want, end), Ok(())) => {
            assert!(st.is_done());
            assert_eq!(got, want, "decoded bytes differ");
            let mut rest = src.buffered().to_vec();
            rest.extend_from_slice(src.get_ref().rest());
            assert_eq!(rest, &body[end..], "bytes after the body were consumed");
        }
        (want, Ok(())) => panic!("accepted a body the reference calls {want:?}"),
        (want, Err(_)) => {
            let status = st.error().expect("a read error is recorded").status();
            let expected = match want {
                ChunkedRef::Done(..) => panic!("refused ({status}) a valid body"),
                ChunkedRef::TooLarge => 413,
                ChunkedRef::Truncated | ChunkedRef::Invalid => 400,
            };
            assert_eq!(status, expected, "reference says {want:?}");
        }
    }
});
