// The seed's Go runtime in spirit: net/http, POST /invoke answers "Hello, <body>".
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
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(400)
			return
		}
		w.Write(append([]byte("Hello, "), body...))
	})
	if err := http.ListenAndServe("0.0.0.0:"+port(), nil); err != nil {
		panic(err)
	}
}
