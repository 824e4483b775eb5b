//! Socket calls std has no word for: `shutdown(SHUT_RD)` of a listener (wakes `accept`),
//! and non-blocking peeks that tell whether a connection has bytes waiting or has ended,
//! without consuming anything or changing the socket's blocking mode.

use std::io;
use std::os::fd::RawFd;

use super::{recv, shutdown, EAGAIN, MSG_DONTWAIT, MSG_PEEK, SHUT_RD};

/// Stops a listening socket from accepting and wakes a thread blocked in `accept` on it
/// (the same `shutdown` the signal handler does, for programmatic stops).
pub fn shutdown_read(fd: RawFd) {
    // SAFETY: `shutdown` takes plain integers and has no memory effects; on a descriptor
    // that is not a socket it fails with ENOTSOCK, which is ignored.
    unsafe {
        shutdown(fd, SHUT_RD);
    }
}

/// True when an idle connection can no longer carry a request: the peer closed it (or
/// reset it), or sent bytes nobody asked for. One non-blocking `recv` with `MSG_PEEK`, so
/// nothing is consumed and the socket's blocking mode is untouched.
pub fn idle_socket_unusable(fd: RawFd) -> bool {
    let mut byte = 0u8;
    // SAFETY: `byte` is a valid, writable 1-byte buffer for the duration of the call;
    // MSG_PEEK|MSG_DONTWAIT neither consumes data nor blocks.
    let r = unsafe { recv(fd, &mut byte, 1, MSG_PEEK | MSG_DONTWAIT) };
    if r < 0 {
        let e = io::Error::last_os_error();
        return !(e.raw_os_error() == Some(EAGAIN) || e.kind() == io::ErrorKind::Interrupted);
    }
    true
}

/// True when bytes have arrived on `fd` and wait to be read (a peek, as above; the end of
/// the stream or an error is not bytes).
pub fn bytes_waiting(fd: RawFd) -> bool {
    let mut byte = 0u8;
    // SAFETY: as in `idle_socket_unusable`: a valid 1-byte buffer, a non-blocking peek.
    unsafe { recv(fd, &mut byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn idle_socket_states() {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let c = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (mut s, _) = l.accept().unwrap();
        assert!(!idle_socket_unusable(c.as_raw_fd()), "open and quiet");
        s.write_all(b"x").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(idle_socket_unusable(c.as_raw_fd()), "unexpected bytes");
        let c2 = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        drop(l.accept().unwrap());
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(idle_socket_unusable(c2.as_raw_fd()), "closed by the peer");
    }
}
