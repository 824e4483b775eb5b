// The seed's Go runtime in spirit: net/http, POST /invoke answers "Hello, <body>".
// With PEER_MARKERS=1 it writes FC's two marker lines per call to stdout (one write each),
// as an FC server must: the fair race of `make bench`. Without it, the seed's server as is.
package main

import (
	"io"
	"net/http"
	"os"
)

func port() string {
	for _, k := range []string{"FC_CUSTOM_LISTEN_PORT", "FC_SERVER_PORT", "PORT"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "9000"
}

func main() {
	markers := os.Getenv("PEER_MARKERS") == "1"
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Fc-Request-Id")
		if markers {
			os.Stdout.WriteString("FC Invoke Start RequestId: " + id + "\n")
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(400)
			return
		}
		if markers {
			os.Stdout.WriteString("FC Invoke End RequestId: " + id + "\n")
		}
		w.Write(append([]byte("Hello, "), body...))
	})
	if err := http.ListenAndServe("0.0.0.0:"+port(), nil); err != nil {
		panic(err)
	}
}
