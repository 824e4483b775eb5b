/* The floor: the smallest honest HTTP/1.1 server for `POST /invoke` -> `Hello, <body>`.
 * Static musl C: accept, read a head and a Content-Length body, answer, keep the connection
 * for the next request; one thread per connection so keep-alive load can be compared.
 * Built with -DNO_THREAD it serves each connection on the main thread instead: the
 * thread-less floor of the cold-start race (no thread is ever created).
 * With PEER_MARKERS=1 in the environment it writes FC's two marker lines per call to
 * stdout, one write(2) each, as an FC server must (the fair race of `make bench`).
 * No validation beyond what answering needs: this is the cost floor, not a server to ship. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static int port_from_env(void) {
    const char *names[] = {"FC_CUSTOM_LISTEN_PORT", "FC_SERVER_PORT", "PORT"};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(names[i]);
        if (v && *v) return atoi(v);
    }
    return 9000;
}

static int markers;

/* The value of header `name` (with its colon) in the head [buf, end), or "" (length 0). */
static const char *header(const char *buf, const char *end, const char *name, size_t *len) {
    size_t n = strlen(name);
    for (const char *p = buf; p < end; p++) {
        if ((p == buf || p[-1] == '\n') && (size_t)(end - p) > n && strncasecmp(p, name, n) == 0) {
            const char *v = p + n;
            while (v < end && *v == ' ') v++;
            const char *e = v;
            while (e < end && *e != '\r') e++;
            *len = (size_t)(e - v);
            return v;
        }
    }
    *len = 0;
    return "";
}

static void marker(const char *word, const char *id, size_t id_len) {
    char line[256];
    if (id_len > 128) id_len = 128;
    int n = snprintf(line, sizeof line, "FC Invoke %s RequestId: %.*s\n", word, (int)id_len, id);
    if (write(1, line, (size_t)n) < 0) markers = 0;
}

static void *serve(void *arg) {
    int fd = (int)(long)arg;
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        char *end;
        while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
            if (len == cap) goto done;
            ssize_t n = read(fd, buf + len, cap - len);
            if (n <= 0) goto done;
            len += (size_t)n;
        }
        size_t head = (size_t)(end - buf) + 4, body = 0, n, id_len = 0;
        const char *cl = header(buf, end, "content-length:", &n);
        if (n) body = strtoul(cl, NULL, 10);
        char id[128];
        if (markers) {
            const char *v = header(buf, end, "x-fc-request-id:", &id_len);
            if (id_len > sizeof id) id_len = sizeof id;
            memcpy(id, v, id_len);
            marker("Start", id, id_len);
        }
        if (head + body > cap) {
            cap = head + body;
            buf = realloc(buf, cap);
        }
        while (len < head + body) {
            ssize_t n = read(fd, buf + len, cap - len);
            if (n <= 0) goto done;
            len += (size_t)n;
        }
        if (markers) marker("End", id, id_len);
        char hdr[128];
        int h = snprintf(hdr, sizeof hdr, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\nHello, ", body + 7);
        /* send(MSG_NOSIGNAL), not write: a client gone mid-answer must not kill the
           process with SIGPIPE (wrk closing its connections at the end of a pass did). */
        if (send(fd, hdr, (size_t)h, MSG_NOSIGNAL) < 0) goto done;
        for (size_t off = 0; off < body;) {
            ssize_t n = send(fd, buf + head + off, body - off, MSG_NOSIGNAL);
            if (n <= 0) goto done;
            off += (size_t)n;
        }
        memmove(buf, buf + head + body, len - head - body);
        len -= head + body;
    }
done:
    free(buf);
    close(fd);
    return NULL;
}

int main(void) {
    const char *m = getenv("PEER_MARKERS");
    markers = m && *m == '1';
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port_from_env())};
    if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 1024)) {
        perror("floor: bind/listen");
        return 1;
    }
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) continue;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#ifdef NO_THREAD
        serve((void *)(long)c);
#else
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&at, 64 * 1024);
        if (pthread_create(&t, &at, serve, (void *)(long)c)) close(c);
        pthread_attr_destroy(&at);
#endif
    }
}
