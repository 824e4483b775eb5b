//! Whether a TCP socket listens on an IPv4 address and port, asked of the kernel
//! (`sock_diag(7)`, the interface `ss` uses) instead of found out by connecting: one
//! request and one answer on a netlink socket, ~2 µs here against ~13 µs for a refused
//! `connect` on loopback (a SYN, a RST and a socket made and closed each time), so polling
//! for a starting app steals little of the CPU the app is starting on.
//!
//! The question is an exact lookup, the one a SYN's arrival makes: the listener a connect
//! to that address and port would reach, bound to the address itself, to `0.0.0.0`, or to
//! `[::]` taking IPv4 too. A socket bound but not listening is not found, nor is an
//! IPv6-only one. The kernel answers "not found" also when its TCP diagnostics are missing
//! (a kernel built without them, or a sandbox without netlink): the caller checks the
//! mechanism on a listener of its own before trusting a "no" ([`Listeners::open_checked`]).
//! Nothing here decides what to do with the answer.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::{__errno_location, recv, EAGAIN, MSG_DONTWAIT};

extern "C" {
    fn socket(domain: i32, kind: i32, protocol: i32) -> i32;
    fn send(fd: i32, buf: *const u8, len: usize, flags: i32) -> isize;
}

const AF_NETLINK: i32 = 16;
const NETLINK_SOCK_DIAG: i32 = 4;
const SOCK_DGRAM: i32 = 2;
const SOCK_CLOEXEC: i32 = 0o2_000_000;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const AF_INET: u8 = 2;
const IPPROTO_TCP: u8 = 6;
const TCP_LISTEN: u32 = 10;
const ENOENT: i32 = 2;
/// `struct nlmsghdr` (16 bytes) + `struct inet_diag_req_v2` (56 bytes).
const REQUEST_LEN: usize = 72;

/// A netlink socket for listener lookups.
pub struct Listeners {
    fd: OwnedFd,
}

impl Listeners {
    /// Opens the netlink socket and checks that the kernel finds a listener made for the
    /// purpose (then closed); `None` when either fails, and lookups are not to be trusted.
    pub fn open_checked() -> Option<Listeners> {
        // SAFETY: `socket` takes plain integers; the result is checked before use.
        let fd = unsafe { socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG) };
        if fd < 0 {
            return None;
        }
        // SAFETY: `fd` was just returned by `socket` and is owned by nothing else.
        let me = Listeners {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        };
        let control = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).ok()?;
        let port = control.local_addr().ok()?.port();
        match me.listening(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)) {
            Ok(true) => Some(me),
            _ => None,
        }
    }

    /// Whether a connect to `addr` would find a listener (`Ok(false)`: nothing listens).
    pub fn listening(&self, addr: SocketAddrV4) -> io::Result<bool> {
        let req = request(addr);
        let fd = self.fd.as_raw_fd();
        // SAFETY: `req` is valid for reads of its whole length for the call.
        if unsafe { send(fd, req.as_ptr(), req.len(), 0) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // The answer is queued while `send` runs; not waiting for it guards against a
        // kernel that never answers.
        let mut answer = [0u8; 512];
        // SAFETY: `answer` is valid, writable room for its length for the call.
        let n = unsafe { recv(fd, answer.as_mut_ptr(), answer.len(), MSG_DONTWAIT) };
        if n < 0 {
            // SAFETY: reads this thread's errno, set by the failed `recv` just above.
            let errno = unsafe { *__errno_location() };
            return Err(match errno {
                EAGAIN => io::Error::new(io::ErrorKind::WouldBlock, "sock_diag: no answer"),
                e => io::Error::from_raw_os_error(e),
            });
        }
        answer_says(&answer[..n as usize])
    }
}

/// The request: `SOCK_DIAG_BY_FAMILY`, one TCP socket in LISTEN with this local address
/// and port (an exact lookup, not a dump). Byte by byte, in the kernel's layout: host order
/// for the netlink header and flags, network order for address and port.
fn request(addr: SocketAddrV4) -> [u8; REQUEST_LEN] {
    let mut r = [0u8; REQUEST_LEN];
    r[0..4].copy_from_slice(&(REQUEST_LEN as u32).to_ne_bytes()); // nlmsg_len
    r[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes()); // nlmsg_type
    r[6..8].copy_from_slice(&NLM_F_REQUEST.to_ne_bytes()); // nlmsg_flags
                                                           // nlmsg_seq, nlmsg_pid: 0. inet_diag_req_v2 from byte 16:
    r[16] = AF_INET; // sdiag_family
    r[17] = IPPROTO_TCP; // sdiag_protocol
    r[20..24].copy_from_slice(&(1u32 << TCP_LISTEN).to_ne_bytes()); // idiag_states
                                                                    // inet_diag_sockid from byte 24: sport, dport, src[4], dst[4], if, cookie[2].
    r[24..26].copy_from_slice(&addr.port().to_be_bytes());
    r[28..32].copy_from_slice(&addr.ip().octets());
    r[64..72].copy_from_slice(&[0xff; 8]); // INET_DIAG_NOCOOKIE twice
    r
}

/// Found: a `SOCK_DIAG_BY_FAMILY` answer. Not found: an error message carrying ENOENT.
fn answer_says(a: &[u8]) -> io::Result<bool> {
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "sock_diag: unexpected answer");
    if a.len() < 16 {
        return Err(bad());
    }
    match u16::from_ne_bytes([a[4], a[5]]) {
        SOCK_DIAG_BY_FAMILY => Ok(true),
        NLMSG_ERROR if a.len() >= 20 => match -i32::from_ne_bytes([a[16], a[17], a[18], a[19]]) {
            ENOENT => Ok(false),
            0 => Err(bad()),
            e => Err(io::Error::from_raw_os_error(e)),
        },
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{SocketAddr, TcpStream};

    fn v4(addr: SocketAddr) -> SocketAddrV4 {
        match addr {
            SocketAddr::V4(a) => a,
            SocketAddr::V6(a) => SocketAddrV4::new(Ipv4Addr::LOCALHOST, a.port()),
        }
    }

    #[test]
    fn sees_what_a_connect_would_reach() {
        let l = Listeners::open_checked().expect("sock_diag works on the test machine");
        // (how the socket is bound and whether it listens, whether 127.0.0.1 finds it)
        let loopback = TcpListener::bind("127.0.0.1:0").unwrap();
        let any = TcpListener::bind("0.0.0.0:0").unwrap();
        // IPv6 rows only where the machine has IPv6.
        let dual = TcpListener::bind("[::]:0").ok();
        let v6_only = TcpListener::bind("[::1]:0").ok();
        let table = [
            ("127.0.0.1", Some(&loopback), true),
            ("0.0.0.0", Some(&any), true),
            ("[::] (takes IPv4)", dual.as_ref(), true),
            ("[::1] (IPv6 only)", v6_only.as_ref(), false),
        ];
        for (what, listener, found) in table {
            let Some(listener) = listener else { continue };
            let addr = listener.local_addr().unwrap();
            let at = SocketAddrV4::new(Ipv4Addr::LOCALHOST, addr.port());
            assert_eq!(l.listening(at).unwrap(), found, "{what}");
            assert_eq!(
                TcpStream::connect(at).is_ok(),
                found,
                "{what}: connect agrees"
            );
        }
    }

    #[test]
    fn a_closed_port_and_a_closed_listener_are_not_listening() {
        let l = Listeners::open_checked().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let at = v4(listener.local_addr().unwrap());
        assert!(l.listening(at).unwrap());
        // Another address on the same port is another question.
        assert!(!l
            .listening(SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 2), at.port()))
            .unwrap());
        drop(listener);
        assert!(!l.listening(at).unwrap());
    }

    #[test]
    fn answers_are_read_byte_by_byte() {
        let mut found = [0u8; 16];
        found[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        let error = |errno: i32| {
            let mut a = [0u8; 36];
            a[4..6].copy_from_slice(&NLMSG_ERROR.to_ne_bytes());
            a[16..20].copy_from_slice(&(-errno).to_ne_bytes());
            a
        };
        assert!(answer_says(&found).unwrap());
        assert!(!answer_says(&error(ENOENT)).unwrap());
        assert_eq!(
            answer_says(&error(13)).unwrap_err().raw_os_error(),
            Some(13)
        );
        assert!(
            answer_says(&error(0)).is_err(),
            "an acknowledgement is no answer"
        );
        assert!(answer_says(&found[..8]).is_err(), "short");
        let req = request(SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 1), 0x1f90));
        assert_eq!(&req[24..32], &[0x1f, 0x90, 0, 0, 127, 0, 0, 1]);
    }
}
