#!/usr/bin/env python3
"""Writes the seed corpora (real request shapes) for the fuzz targets into seeds/<target>/.

Each target's input layout is documented at the top of its file in fuzz_targets/:
head takes raw head bytes; chunked takes [limit:2][read size][n cuts][cuts...][body];
conn takes [mode][n cuts][cuts...][wire].
"""
import os
import sys

FC_HEADERS = (
    "x-fc-request-id: 1-67a59f35-150c1267-f381ba1c085c\r\n"
    "x-fc-function-name: hello\r\nx-fc-function-handler: index.handler\r\n"
    "x-fc-function-memory: 128\r\nx-fc-function-timeout: 3\r\nx-fc-region: cn-hangzhou\r\n"
    "x-fc-account-id: 1234567890\r\nx-fc-qualifier: LATEST\r\n"
    "x-fc-access-key-id: STS.id\r\nx-fc-access-key-secret: s3cr3t\r\n"
    "x-fc-security-token: tok\r\nx-fc-control-path: /invoke\r\n"
)

HEADS = [
    "GET / HTTP/1.1\r\nHost: localhost:9000\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n",
    "POST /invoke HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nContent-Type: application/octet-stream\r\n"
    + FC_HEADERS + "Content-Length: 5\r\n\r\n",
    "POST /initialize HTTP/1.1\r\nHost: x\r\nx-fc-control-path: /initialize\r\nContent-Length: 0\r\n\r\n",
    "GET /pre-stop HTTP/1.1\r\nHost: x\r\nx-fc-control-path: /pre-stop\r\n\r\n",
    "PUT /upload?name=a&x=1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
    "GET /2016-08-15/proxy/svc/fn/path?q=1 HTTP/1.1\r\nHost: h\r\nx-fc-base-path: /2016-08-15/proxy/svc/fn\r\n"
    "x-fc-control-path: /http-invoke\r\nConnection: keep-alive\r\n\r\n",
    "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
    "GET http://example.com/a/b?c HTTP/1.1\r\nHost: example.com\r\n\r\n",
    "HEAD /x HTTP/1.1\nHost: h\n\n",
    "\r\nDELETE /item/7 HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
]

CHUNKED = [
    b"5\r\nhello\r\n0\r\n\r\n",
    b"3;ext=1\r\nabc\r\n2 ; x\r\nde\r\n0\r\nTrailer-One: v\r\n\r\nGET / HTTP/1.1\r\n",
    b"A\r\n0123456789\r\n00\r\n\r\n",
    b"10\r\n" + b"x" * 16 + b"\r\n0\r\n\r\n",
    b"1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n",
]

WIRES = [
    HEADS[1] + "hello",
    HEADS[0] + HEADS[0] + "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n",
    HEADS[4] + "5\r\nhello\r\n0\r\n\r\n" + HEADS[0],
    "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcHEAD /h HTTP/1.1\r\nHost: h\r\n\r\n",
    HEADS[6],
    HEADS[2] + HEADS[3],
]


def write(target, i, data):
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"seed-{i:02}"), "wb") as f:
        f.write(data)


def main():
    for i, h in enumerate(HEADS):
        write("head", i, h.encode())
    for i, c in enumerate(CHUNKED):
        write("chunked", i, bytes([0x10, 0x00, 7, 0]) + c)
        write("chunked", 50 + i, bytes([0x00, 0x08, 255, 3, 1, 2, 5]) + c)
    for i, w in enumerate(WIRES):
        write("conn", i, bytes([0, 0]) + w.encode())
        write("conn", 50 + i, bytes([1, 4, 3, 17, 1, 40]) + w.encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
