// The Go peer from the Go 1.8 post: net/http's Server.Shutdown on SIGTERM, with the demo's /delay route, HTTP/1.1
// and h2c on one port, and a readiness route that always answers 200 (no readiness flip, as usually written).
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func env(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func routes() *http.ServeMux {
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
	return mux
}

func main() {
	host := env("GRACEFUL_HOST", "0.0.0.0")
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	app := &http.Server{Addr: net.JoinHostPort(host, env("HTTP_PORT", "8080")), Handler: routes(), Protocols: protocols}
	probes := &http.Server{Addr: net.JoinHostPort(host, env("MANAGEMENT_PORT", "9000")), Handler: routes()}
	for _, s := range []*http.Server{app, probes} {
		go func(s *http.Server) {
			if err := s.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
				log.Fatalf("listen %s: %v", s.Addr, err)
			}
		}(s)
	}
	log.Printf("net/http server listening on %s", host)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
	log.Printf("SIGTERM: Server.Shutdown")
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	err := errors.Join(app.Shutdown(ctx), probes.Shutdown(ctx))
	if err != nil {
		log.Printf("shutdown: %v", err)
		os.Exit(1)
	}
}
