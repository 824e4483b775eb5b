/* The floor: the smallest honest HTTP/1.1 server for `POST /invoke` -> `Hello, <body>`.
 * Static musl C: accept, read a head and a Content-Length body, answer, keep the connection
 * for the next request; one thread per connection so keep-alive load can be compared.
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
        size_t head = (size_t)(end - buf) + 4, body = 0;
        for (char *p = buf; p < end; p++) {
            if ((p == buf || p[-1] == '\n') && strncasecmp(p, "content-length:", 15) == 0) {
                body = strtoul(p + 15, NULL, 10);
            }
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
        char hdr[128];
        int h = snprintf(hdr, sizeof hdr, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\nHello, ", body + 7);
        if (write(fd, hdr, (size_t)h) < 0) goto done;
        for (size_t off = 0; off < body;) {
            ssize_t n = write(fd, buf + head + off, body - off);
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
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&at, 64 * 1024);
        if (pthread_create(&t, &at, serve, (void *)(long)c)) close(c);
        pthread_attr_destroy(&at);
    }
}
