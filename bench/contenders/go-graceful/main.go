// The go-graceful peer: its graceful.Servers (what gracefulhttp.ListenAndServe wraps, for one server) running the
// demo's /delay route on 8080 and a readiness route that always answers 200 on 9000 (where the chart's probes
// look), shut down in parallel within 25 s on SIGTERM. Built only where the Go module proxy serves go-graceful.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/ne-sachirou/go-graceful"
	"github.com/ne-sachirou/go-graceful/gracefulhttp"
)

func main() {
	host := os.Getenv("GRACEFUL_HOST")
	mux := http.NewServeMux()
	mux.HandleFunc("/delay", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
		if err != nil || ms < 0 {
			http.Error(w, "ms must be a non-negative integer", http.StatusBadRequest)
			return
		}
		time.Sleep(time.Duration(ms) * time.Millisecond)
		fmt.Fprintf(w, "delayed %d ms\n", ms)
	})
	mux.HandleFunc("/health/", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"UP"}`))
	})
	servers := graceful.Servers{Servers: []graceful.Server{
		&gracefulhttp.Server{Server: &http.Server{Addr: net.JoinHostPort(host, "8080"), Handler: mux}},
		&gracefulhttp.Server{Server: &http.Server{Addr: net.JoinHostPort(host, "9000"), Handler: mux}},
	}}
	if err := servers.Graceful(context.Background(), graceful.GracefulShutdownTimeout(25*time.Second)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
